from __future__ import annotations

import pytest
from conftest import MemoryChannel

from stephost_sidecar.context import context_for
from stephost_sidecar.proto import pb


async def test_step_topic_attempt_and_trace_come_from_the_invocation(channel: MemoryChannel) -> None:
    inv = pb.Invocation(invocation_id="i", step="s", trace_id="t", attempt=2, topic="orders.created")
    ctx = context_for(inv, channel)
    assert (ctx.step, ctx.topic, ctx.attempt, ctx.trace_id, ctx.traceId) == (
        "s",
        "orders.created",
        2,
        "t",
        "t",
    )


async def test_api_and_cron_have_no_topic_and_attempt_defaults_to_one(channel: MemoryChannel) -> None:
    ctx = context_for(pb.Invocation(invocation_id="i", step="s", trace_id="t"), channel)
    assert ctx.topic is None and ctx.attempt == 1


async def test_flows_come_from_the_step_config(channel: MemoryChannel) -> None:
    inv = pb.Invocation(invocation_id="i", step="s")
    assert context_for(inv, channel, ["orders", "billing"]).flows == ["orders", "billing"]
    assert context_for(inv, channel).flows == []


async def test_logger_child_merges_fields_under_each_calls_own(channel: MemoryChannel) -> None:
    ctx = context_for(pb.Invocation(invocation_id="i", step="s"), channel)
    child = ctx.logger.child({"probe": "api", "who": "child"})
    grandchild = child.child({"depth": 2})
    ctx.logger.info("plain")
    child.info("one", {"lang": "python"})
    child.warn("two", {"who": "call"})  # the call's own field wins
    grandchild.error("three")
    child.debug("four")
    assert channel.logs == [
        ("i", "info", "plain", None),
        ("i", "info", "one", {"probe": "api", "who": "child", "lang": "python"}),
        ("i", "warn", "two", {"probe": "api", "who": "call"}),
        ("i", "error", "three", {"probe": "api", "who": "child", "depth": 2}),
        ("i", "debug", "four", {"probe": "api", "who": "child"}),
    ]


async def test_a_child_never_changes_its_parent_or_the_callers_dict(channel: MemoryChannel) -> None:
    ctx = context_for(pb.Invocation(invocation_id="i", step="s"), channel)
    base = {"a": 1}
    child = ctx.logger.child(base)
    own = {"b": 2}
    child.info("x", own)
    ctx.logger.info("y")
    assert base == {"a": 1} and own == {"b": 2}
    assert channel.logs[-1] == ("i", "info", "y", None)


async def test_emit_sends_topic_data_and_group_and_needs_a_topic(channel: MemoryChannel) -> None:
    ctx = context_for(pb.Invocation(invocation_id="i", step="s"), channel)
    await ctx.emit({"topic": "t", "data": {"n": 1}, "messageGroupId": "g"})
    await ctx.emit({"topic": "u"})
    assert channel.emitted == [("i", "t", {"n": 1}, "g"), ("i", "u", None, None)]
    with pytest.raises(ValueError, match="non-empty 'topic'"):
        ctx.emit({"data": 1})
