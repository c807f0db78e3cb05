# frozen_string_literal: true

require_relative "test_helper"
require_relative "session_test" # its FakeLink
require_relative "../tools/trace_emit"

class TraceEmitTest < Minitest::Test
  include StephostTest::Polling

  V1 = Stephost::V1

  # A clock that moves one ms per reading: each stamp is later than the one before.
  def ticking
    t = 0.0
    -> { t += 1.0 }
  end

  # An emit through a real Session (its link a stand-in): the hooks stamp the call, its
  # hand-over to the link, the answer, the handler resuming, the result and its flush.
  def test_an_emit_through_a_session_is_stamped_at_every_hand_off
    recorder = Stephost::TraceEmit.install(Stephost::TraceEmit::Recorder.new(ticking))
    session = Stephost::Session.new
    link = SessionTest::FakeLink.new
    session.attach(link)
    recorder.stamp("inv-1", :read) # what the Runner hooks stamp as the invocation arrives
    recorder.stamp("inv-1", :start)
    handler = Thread.new { session.call("inv-1", emit: { topic: "t", data_json: "{}" }) }
    sent = link.sent.pop.messages.first
    assert_equal :call, sent.kind
    # The handler's thread stamps call_sent once the link has the call; a host's answer comes
    # after that over the network, here it could overtake the stamp: wait for it (deadline).
    wait_for("the call_sent stamp", timeout: 10) { recorder.stamped?("inv-1", :call_sent) }
    session.resolve(V1::CallResult.new(call_id: sent.call.call_id, result_json: "null"))
    assert_nil handler.value
    session.queue(V1::SidecarMessage.new(result: V1::InvocationResult.new(invocation_id: "inv-1")))
    session.flush

    assert_equal 1, recorder.rows.size
    row = recorder.rows.first
    times = Stephost::TraceEmit::STAMPS.map { |s| row.fetch(s) }
    assert_equal times.sort, times, "stamped out of order: #{row}"
    lines = recorder.summary.lines
    assert_equal "1 invocations with a host call (medians)\n", lines.first
    assert_equal Stephost::TraceEmit::STAMPS.size - 1, lines.size - 1
    assert_match(/\Acall_sent -> answer +\d+\.\d{3} ms\z/, lines[4].chomp)
  ensure
    Stephost::TraceEmit.recorder = Stephost::TraceEmit::Recorder.new # later tests record into a fresh one
  end

  # An invocation that never reached a host call (or was not read) leaves no row.
  def test_an_invocation_without_a_host_call_makes_no_row
    recorder = Stephost::TraceEmit::Recorder.new(ticking)
    recorder.stamp("inv-2", :read)
    recorder.stamp("inv-2", :start)
    recorder.stamp("inv-2", :result)
    recorder.flushed
    recorder.stamp("not-read", :result)
    recorder.flushed
    assert_empty recorder.rows
  end
end
