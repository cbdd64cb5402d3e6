"""MixinHandlerRouting composes with other bases in any MRO position."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from omnibase_core.enums import EnumMessageCategory
from omnibase_core.mixins import MixinEffectExecution, MixinHandlerRouting, MixinWorkflowExecution

EVT = EnumMessageCategory.EVENT


class Base:
    def __init__(self, *, name: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.trace = [*getattr(self, "trace", []), "Base"]


class Tagged:
    def __init__(self, *, tag: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tag = tag
        self.trace = [*getattr(self, "trace", []), "Tagged"]


class RoutingFirst(MixinHandlerRouting, Base, Tagged):
    pass


class RoutingMiddle(Base, MixinHandlerRouting, Tagged):
    pass


class RoutingLast(Base, Tagged, MixinHandlerRouting):
    pass


class WithExecution(MixinWorkflowExecution, Base, MixinHandlerRouting, MixinEffectExecution):
    pass


class Subclass(RoutingMiddle):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trace.append("Subclass")


@pytest.mark.parametrize("cls", [RoutingFirst, RoutingMiddle, RoutingLast, Subclass])
def test_kwargs_reach_every_base(cls: type[Any]) -> None:
    obj = cls(name="n", tag="t")
    assert obj.name == "n"
    assert obj.tag == "t"
    assert "Base" in obj.trace
    assert "Tagged" in obj.trace
    assert obj.is_routing_initialized is False


@pytest.mark.parametrize("cls", [RoutingFirst, RoutingMiddle, RoutingLast, Subclass, WithExecution])
def test_routing_works_in_any_position(
    cls: type[Any],
    make_handler: Callable[..., Any],
    make_registry: Callable[..., Any],
    make_subcontract: Callable[..., Any],
) -> None:
    obj = cls(name="n")
    obj._init_handler_routing(make_subcontract([("K", "h")]), make_registry(make_handler("h")))
    assert [h.handler_id for h in obj.route_to_handlers("K", EVT)] == ["h"]


def test_unknown_kwarg_is_rejected_by_object() -> None:
    with pytest.raises(TypeError):
        RoutingFirst(bogus=1)


def test_base_without_super_call_still_routes(
    make_handler: Callable[..., Any],
    make_registry: Callable[..., Any],
    make_subcontract: Callable[..., Any],
) -> None:
    class Stubborn:
        def __init__(self) -> None:  # does not call super().__init__
            self.ready = True

    class Node(Stubborn, MixinHandlerRouting):
        pass

    node = Node()
    assert node.ready
    assert node.is_routing_initialized is False
    node._init_handler_routing(make_subcontract([("K", "h")]), make_registry(make_handler("h")))
    assert [h.handler_id for h in node.route_to_handlers("K", EVT)] == ["h"]
