import { useEffect, useState } from 'preact/hooks'
import { api, tail } from '../api.js'
import { Lang, clock, ErrorNote, Empty } from '../util.jsx'

const KEEP = 2000
const LEVELS = ['debug', 'info', 'warning', 'error']
const FLUSH_MS = 100 // records arriving together are drawn once: a busy host's tail stays cheap
let seq = 0
const keyed = (doc) => ({ ...doc, key: ++seq }) // rows keep their DOM node as new ones arrive

export function Logs() {
  const [records, setRecords] = useState([])
  const [state, setState] = useState('connecting')
  const [error, setError] = useState(null)
  const [f, setF] = useState({ level: 'debug', step: '', language: '', trace: '', text: '' })
  useEffect(() => {
    let stop = () => {}
    let pending = []
    let timer = null
    const flush = () => {
      const arrived = pending
      pending = []
      timer = null
      setRecords((r) => [...r, ...arrived].slice(-KEEP))
    }
    const arrive = (doc) => {
      pending.push(keyed(doc))
      if (timer === null) timer = setTimeout(flush, FLUSH_MS)
    }
    api('/logs?limit=500')
      .then((recent) => setRecords(recent.map(keyed)))
      .catch(setError)
      .finally(() => {
        stop = tail('/logs/live', arrive, setState)
      })
    return () => {
      stop()
      clearTimeout(timer)
    }
  }, [])
  const min = LEVELS.indexOf(f.level)
  const shown = records.filter(
    (r) =>
      LEVELS.indexOf(r.level === 'critical' ? 'error' : r.level) >= min &&
      (!f.step || r.step === f.step) &&
      (!f.language || r.language === f.language) &&
      (!f.trace || (r.trace || '').includes(f.trace)) &&
      (!f.text || `${r.msg} ${JSON.stringify(r.fields || {})}`.toLowerCase().includes(f.text.toLowerCase())),
  )
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
      <div class="log-table">
        {shown
          .slice()
          .reverse()
          .map((r) => (
            <div class={`log-row row-${r.level}`} data-log key={r.key}>
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
          ))}
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
