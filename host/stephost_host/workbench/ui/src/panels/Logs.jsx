import { useEffect, useState } from 'preact/hooks'
import { api, tail } from '../api.js'
import { Lang, clock, ErrorNote } from '../util.jsx'

const KEEP = 2000
const LEVELS = ['debug', 'info', 'warning', 'error']

export function Logs() {
  const [records, setRecords] = useState([])
  const [state, setState] = useState('connecting')
  const [error, setError] = useState(null)
  const [f, setF] = useState({ level: 'debug', step: '', language: '', trace: '', text: '' })
  useEffect(() => {
    let stop = () => {}
    api('/logs?limit=500')
      .then((recent) => setRecords(recent))
      .catch(setError)
      .finally(() => {
        stop = tail('/logs/live', (doc) => setRecords((r) => [...r.slice(-KEEP + 1), doc]), setState)
      })
    return () => stop()
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
          ))}
      </div>
    </section>
  )
}
