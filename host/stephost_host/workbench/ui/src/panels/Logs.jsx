import { memo } from 'preact/compat'
import { useEffect, useRef, useState } from 'preact/hooks'
import { api, tail } from '../api.js'
import { useVisible } from '../visible.js'
import { Lang, clock, ErrorNote, Empty } from '../util.jsx'

const KEEP = 2000 // records the page keeps (the filters search them all)
// Rows drawn while following the tail, newest first: what fills the table (a line is ~27 px),
// not all that is kept; scrolled down, nothing more is drawn as lines arrive, and "older"
// draws OLDER more. A busy tail redraws a screenful, not hundreds of rows.
const SHOW = Math.ceil(window.innerHeight / 27) + 8
const OLDER = 100
const LEVELS = ['debug', 'info', 'warning', 'error']
// Records arriving together are drawn once, 150 ms after the first; once more than BUSY came
// in one draw, the next waits a second: a host logging every request (thousands of lines a
// second, more than anyone reads live) costs the page a draw a second, not one a line.
const FLUSH_MS = 150
const BUSY_FLUSH_MS = 1000
const BUSY = 30
let seq = 0
const keyed = (doc) => ({ ...doc, key: ++seq }) // rows keep their DOM node as new ones arrive
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`

// One line; drawn again only when it is a new record (its object never changes).
const LogRow = memo(function LogRow({ r }) {
  return (
    <div class={`log-row row-${r.level}`} data-log>
      <span class="time">{clock(r.ts)}</span>
      <span class={`level lvl-${r.level}`}>{r.level}</span>
      <span class="step">{r.step || <span class="muted">{r.logger.replace('stephost.', '')}</span>}</span>
      <span class="lang-cell">{r.language && <Lang language={r.language} />}</span>
      <span class="msg">
        {r.msg}
        {r.fields && <span class="fields"> {JSON.stringify(r.fields)}</span>}
        {r.stack && <pre class="stack">{r.stack}</pre>}
      </span>
      <span class="trace">{r.trace && <a href={`#/traces/${r.trace}`}>{r.trace.slice(0, 8)}</a>}</span>
    </div>
  )
})

// The live tail, open while the tab is shown: a hidden tab closes it, and reads the recent
// lines again when shown (what it missed meanwhile among them).
function useTail(visible) {
  const [records, setRecords] = useState([])
  const [state, setState] = useState('connecting')
  const [error, setError] = useState(null)
  useEffect(() => {
    if (!visible) {
      setState('paused')
      return undefined
    }
    let stop = () => {}
    let closed = false
    let pending = []
    let timer = null
    let busy = false
    const flush = () => {
      const arrived = pending
      pending = []
      timer = null
      busy = arrived.length > BUSY
      setRecords((r) => [...r, ...arrived].slice(-KEEP))
    }
    // Each event is a batch of records, as the host's recorder published them.
    const arrive = ({ logs }) => {
      if (!Array.isArray(logs) || !logs.length) return
      for (const doc of logs) pending.push(keyed(doc))
      if (timer === null) timer = setTimeout(flush, busy ? BUSY_FLUSH_MS : FLUSH_MS)
    }
    setState('connecting')
    api('/logs?limit=500')
      .then((recent) => !closed && setRecords(recent.map(keyed)))
      .catch((e) => !closed && setError(e))
      .finally(() => {
        if (!closed) stop = tail('/logs/live', arrive, setState)
      })
    return () => {
      closed = true
      stop()
      clearTimeout(timer)
    }
  }, [visible])
  return [records, state, error]
}

export function Logs() {
  const visible = useVisible()
  const [records, state, error] = useTail(visible)
  const [f, setF] = useState({ level: 'debug', step: '', language: '', trace: '', text: '' })
  const [show, setShow] = useState(SHOW)
  // While the reader is scrolled down the table, the newest key drawn: lines that arrive then
  // are counted above, not drawn (nothing moves under the reader, and nothing is redrawn).
  const [pinned, setPinned] = useState(null)
  const table = useRef(null)
  const min = LEVELS.indexOf(f.level)
  const shown = records.filter(
    (r) =>
      LEVELS.indexOf(r.level === 'critical' ? 'error' : r.level) >= min &&
      (!f.step || r.step === f.step) &&
      (!f.language || r.language === f.language) &&
      (!f.trace || (r.trace || '').includes(f.trace)) &&
      (!f.text || `${r.msg} ${JSON.stringify(r.fields || {})}`.toLowerCase().includes(f.text.toLowerCase())),
  )
  let upTo = shown.length
  if (pinned !== null) while (upTo > 0 && shown[upTo - 1].key > pinned) upTo--
  const fresh = shown.length - upTo
  const older = Math.max(0, upTo - show)
  const rows = shown.slice(older, upTo).reverse()
  const onScroll = (e) => {
    const away = e.currentTarget.scrollTop > 8
    if (away && pinned === null) setPinned(records.length ? records[records.length - 1].key : 0)
    else if (!away && pinned !== null) setPinned(null)
  }
  const steps = [...new Set(records.map((r) => r.step).filter(Boolean))].sort()
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value })
  return (
    <section class="panel logs">
      <header>
        <h2>Logs</h2>
        <span class={`live-dot ${state}`} data-tail={state}>
          {state}
        </span>
        <div class="filters">
          <select value={f.level} onChange={set('level')}>
            {LEVELS.map((l) => (
              <option value={l}>{l}+</option>
            ))}
          </select>
          <select value={f.step} onChange={set('step')}>
            <option value="">all steps</option>
            {steps.map((s) => (
              <option>{s}</option>
            ))}
          </select>
          <select value={f.language} onChange={set('language')}>
            <option value="">all languages</option>
            <option value="python">python</option>
            <option value="node">node</option>
            <option value="ruby">ruby</option>
          </select>
          <input placeholder="trace id" value={f.trace} onInput={set('trace')} />
          <input placeholder="search text" value={f.text} onInput={set('text')} data-filter="text" />
        </div>
      </header>
      <ErrorNote error={error} />
      <div class="log-table" ref={table} onScroll={onScroll}>
        {fresh > 0 && (
          <button class="log-fresh" onClick={() => (table.current.scrollTop = 0)} data-fresh>
            ↑ {plural(fresh, 'new line')}
          </button>
        )}
        {rows.map((r) => (
          <LogRow key={r.key} r={r} />
        ))}
        {older > 0 && (
          <button class="log-older ghost" onClick={() => setShow(show + OLDER)} data-older>
            {plural(older, 'older line')} kept: show {Math.min(OLDER, older)} more
          </button>
        )}
        {!shown.length && (
          <Empty>
            {state !== 'live' && !records.length
              ? 'Loading…'
              : records.length
                ? 'No log line matches these filters.'
                : 'No log lines yet: they show here as steps log.'}
          </Empty>
        )}
      </div>
    </section>
  )
}
