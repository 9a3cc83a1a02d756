"""Development and the embedded demo (`make demo`, `make serve`): DEBUG on unless DEBUG=0, a fixed
development secret, readable logs, and engines registered by dotted path (DEALIQ_EXTRA_ENGINES)."""
from config.env import env_bool, env_choice, env_engines, env_str

from .base import *  # noqa: F403
from .base import BUILTIN_ENGINES, DEALIQ_ENGINE_DEFAULT

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-use-in-production")

# A plugin engine under development: DEALIQ_EXTRA_ENGINES="mine=package.module:ClassName".
DEALIQ_EXTRA_ENGINES = env_engines("DEALIQ_EXTRA_ENGINES")
DEALIQ_ENGINE = env_choice("DEALIQ_ENGINE", DEALIQ_ENGINE_DEFAULT, BUILTIN_ENGINES + tuple(DEALIQ_EXTRA_ENGINES))

# The run page links each step's task to Flower (`make flower`).
FLOWER_URL = env_str("FLOWER_URL", "http://127.0.0.1:5555")
