# frozen_string_literal: true

module Stephost
  # Child processes of an agent (builds, workers): each leads a process group
  # of its own (so a build's children die with it), its output is read line by
  # line, and stopping it means SIGTERM to the group, then SIGKILL after a
  # grace period.
  class ProcessGroup
    TAIL_LINES = 20 # stderr lines kept to say why a process failed

    attr_reader :pid, :tail, :lines

    # on_line: called with (line, "stdout" | "stderr") from reader threads.
    def initialize(argv, cwd:, env:, on_line:)
      @tail = [] # the last stderr lines
      @lines = [] # the last lines of either stream
      @mutex = Mutex.new
      out_r, out_w = IO.pipe
      err_r, err_w = IO.pipe
      @pid = Process.spawn(env, *argv, chdir: cwd, pgroup: true, in: File::NULL, out: out_w, err: err_w,
                                       unsetenv_others: true)
      out_w.close
      err_w.close
      @readers = [reader(out_r, "stdout", on_line), reader(err_r, "stderr", on_line)]
      @waiter = Thread.new { Process.wait2(@pid)[1] }
    end

    # The exit code (negative: the signal that ended it), once its output is read too.
    def wait
      status = @waiter.value
      @readers.each(&:join)
      status.exitstatus || -status.termsig.to_i
    end

    def exited? = !@waiter.alive?

    def signal(sig)
      Process.kill(sig, -@pid)
    rescue Errno::ESRCH, Errno::EPERM
      nil
    end

    def alive?
      Process.kill(0, -@pid)
      true
    rescue Errno::ESRCH
      false
    rescue Errno::EPERM
      true
    end

    # SIGTERM the group, SIGKILL it after `grace` seconds; the exit code once none of it is left.
    def stop(grace)
      signal("TERM")
      signal("KILL") unless @waiter.join(grace)
      code = wait
      signal("KILL") # the leader's children too, even when it left in time
      250.times do
        break unless alive?

        sleep 0.02
      end
      code
    end

    private

    def reader(io, name, on_line)
      Thread.new do
        io.each_line do |raw|
          line = raw.chomp.scrub
          @mutex.synchronize do
            keep(@lines, line)
            keep(@tail, line) if name == "stderr"
          end
          on_line.call(line, name)
        end
      rescue IOError
        nil
      ensure
        io.close
      end
    end

    def keep(lines, line)
      lines << line
      lines.shift if lines.size > TAIL_LINES
    end
  end
end
