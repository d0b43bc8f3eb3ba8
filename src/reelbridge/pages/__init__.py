"""Server-rendered pages shared by both sides: the lobby and the back office of the
aggregator, the studio console of the provider (templating, logins in cookies, CSRF
tokens, flash messages, forms, money and time formats, shared static files)."""

from reelbridge.pages.area import LoginArea
from reelbridge.pages.auth import Guard, Login, Signer, derive_key
from reelbridge.pages.forms import CsrfError, Form, FormError
from reelbridge.pages.render import NavItem, Pages, money, static_mount, when

__all__ = [
    "CsrfError",
    "Form",
    "FormError",
    "Guard",
    "Login",
    "LoginArea",
    "NavItem",
    "Pages",
    "Signer",
    "derive_key",
    "money",
    "static_mount",
    "when",
]
