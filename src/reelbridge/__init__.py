"""reelbridge."""
