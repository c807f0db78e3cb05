'use strict'
// Child processes of an agent (builds, workers): each leads a process group
// of its own (so a build's `npm` and whatever it starts die together), its
// output is read line by line, and stopping it means SIGTERM to the group,
// then SIGKILL after a grace period.
const { spawn } = require('node:child_process')
const readline = require('node:readline')

const TAIL_LINES = 20 // stderr lines kept to say why a process failed

class Group {
  /** Start `argv` in `cwd` with `env`; `onLine(line, 'stdout' | 'stderr')` gets its output. */
  constructor(argv, { cwd, env, onLine }) {
    this.tail = [] // the last stderr lines
    this.lines = [] // the last lines of either stream
    this.child = spawn(argv[0], argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    this.pid = this.child.pid
    const read = (stream, name) =>
      new Promise((resolve) => {
        const lines = readline.createInterface({ input: stream, crlfDelay: Infinity })
        lines.on('line', (line) => {
          keep(this.lines, line)
          if (name === 'stderr') keep(this.tail, line)
          onLine(line, name)
        })
        lines.on('close', resolve)
      })
    const outputs = Promise.all([read(this.child.stdout, 'stdout'), read(this.child.stderr, 'stderr')])
    // The exit code (negative: the signal's number), once its output is read too.
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        keep(this.tail, `${err.message}`)
        resolve(-1)
      })
      this.child.on('exit', (code, signal) => resolve(code === null ? -(require('node:os').constants.signals[signal] || 1) : code))
    }).then(async (code) => {
      await outputs
      return code
    })
  }

  signal(sig) {
    try {
      process.kill(-this.pid, sig)
    } catch {
      // the group is gone already
    }
  }

  alive() {
    try {
      process.kill(-this.pid, 0)
      return true
    } catch (err) {
      return err.code === 'EPERM'
    }
  }

  /** SIGTERM the group, SIGKILL it after `graceMs`; resolves with the exit code once none of it is left. */
  async stop(graceMs) {
    if (this.pid === undefined) return this.exited
    this.signal('SIGTERM')
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs)
    const code = await this.exited
    clearTimeout(timer)
    this.signal('SIGKILL') // the leader's children too, even when it left in time
    for (let i = 0; i < 250 && this.alive(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    return code
  }
}

function keep(lines, line) {
  lines.push(line)
  if (lines.length > TAIL_LINES) lines.shift()
}

/** Run one build command to its end (shown first, as a shell would, to `echo` or `onLine`). */
async function run(argv, { cwd, env, onLine, signal, echo = onLine }) {
  signal?.throwIfAborted()
  echo(`$ ${argv.join(' ')}`, 'stdout')
  const group = new Group(argv, { cwd, env, onLine })
  const abort = () => group.stop(0)
  signal?.addEventListener('abort', abort)
  try {
    const code = await group.exited
    if (signal?.aborted) {
      await group.stop(0)
      throw signal.reason
    }
    return { code, group }
  } finally {
    signal?.removeEventListener('abort', abort)
  }
}

module.exports = { Group, run, TAIL_LINES }
