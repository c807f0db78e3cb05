# frozen_string_literal: true

module Stephost
  # Which steps the connection's thread runs itself, between two reads,
  # instead of handing them to a pool thread. The hand-off costs an OS
  # wake-up and a GVL hand-over per burst, on the path of every result
  # (on a shared 2-core machine the api bench served ~35% more requests
  # per second without it), but a handler on the reading thread stops the
  # reading while it runs: other invocations, cancels and call results
  # wait. So only steps that have shown they are quick run there: a step
  # is promoted after PROMOTE_AFTER runs in a row, each under FAST, and one
  # run on the connection's thread longer than SLOW sends it back to the
  # pool until it earns DEMOTED_AFTER quick runs in a row. A step that is
  # sometimes slow keeps failing the streak and stays on the pool. A
  # handler on the connection's thread that calls the host (emit, state,
  # streams, a streamed body's window) reads the stream itself while it
  # waits (Session#pump_while), so it cannot deadlock.
  #
  # Hooks never run there: they are rare and their cost unknown.
  class InlinePolicy
    FAST = 0.005 # seconds, wall time of one run
    SLOW = 0.1 # a GC pause or the OS preempting the thread under load can take tens of ms
    PROMOTE_AFTER = 8
    DEMOTED_AFTER = 256

    def initialize
      @streak = Hash.new(0) # step name => quick runs in a row
      @needed = Hash.new(PROMOTE_AFTER) # step name => quick runs in a row it needs
    end

    def inline?(step) = @streak[step] >= @needed[step]

    # Caller serialises (Runner's mutex). seconds: the run's wall time.
    def record(step, seconds, inline:)
      if inline
        return unless seconds > SLOW

        @needed[step] = DEMOTED_AFTER
        @streak[step] = 0
      elsif seconds > FAST
        @streak[step] = 0
      elsif @streak[step] < @needed[step]
        @streak[step] += 1
      end
    end
  end
end
