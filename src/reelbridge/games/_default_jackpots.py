"""The default jackpot plan: three levels that return 1.175 % of every stake.

=======  ========  ============  ====================  ===========================
level    seed      contribution  won once per staked   return per unit stake
=======  ========  ============  ====================  ===========================
Bronze      50.00  0.5 %             50,000.00         0.5 % + 50/50,000 = 0.6 %
Silver     500.00  0.3 %          1,000,000.00         0.3 % + 0.05 %    = 0.35 %
Gold     5,000.00  0.2 %         20,000,000.00         0.2 % + 0.025 %   = 0.225 %
=======  ========  ============  ====================  ===========================

Together ``47/4000`` = 1.175 % at every stake (1 % contributed, 0.175 % house seeds).
At the largest built-in stake (25.00, Classic 7s) the three chances add up to
0.0005 + 0.000025 + 0.00000125, far below 1.
"""

from __future__ import annotations

from reelbridge.games._jackpot import JackpotLevel, JackpotPlan

DEFAULT_JACKPOTS = JackpotPlan(
    (
        JackpotLevel("Bronze", seed=50_0000, contribution_ppm=5_000, stake_per_hit=50_000_0000),
        JackpotLevel("Silver", seed=500_0000, contribution_ppm=3_000, stake_per_hit=1_000_000_0000),
        JackpotLevel(
            "Gold", seed=5_000_0000, contribution_ppm=2_000, stake_per_hit=20_000_000_0000
        ),
    )
)
"""The provider's default levels (amounts in 1/10000 units of the player's currency)."""
