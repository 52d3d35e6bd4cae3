"""robots.txt rules of one host (RFC 9309, via Protego: wildcards, ``$``, longest match wins)."""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against (``scholarsync``)."""
    token = user_agent.split("/", 1)[0].strip().split(" ", 1)[0]
    return token or "scholarsync"


@dataclass
class RobotsRules:
    """What one host's robots.txt says to us. ``parser is None`` means everything is allowed
    (no robots.txt: HTTP 4xx)."""

    agent: str
    parser: Protego | None = None
    unreachable: str | None = None  # why robots.txt could not be read (5xx, connection error)

    @classmethod
    def parse(cls, text: str, agent: str) -> RobotsRules:
        return cls(agent=agent, parser=Protego.parse(text))

    def allows(self, url: str) -> bool:
        return self.parser is None or bool(self.parser.can_fetch(url, self.agent))

    @property
    def crawl_delay(self) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(self.agent)
        return float(delay) if delay else 0.0
