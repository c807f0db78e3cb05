import { useMemo, useState } from 'preact/hooks'
import { usePoll, Lang, Empty, ErrorNote, example, ms } from '../util.jsx'

const pathParams = (path) => (path.match(/:([A-Za-z0-9_]+)/g) || []).map((p) => p.slice(1))
const withBody = (m) => !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(m)

function Rows({ rows, setRows, placeholder }) {
  const set = (i, k, v) => setRows(rows.map((r, j) => (j === i ? { ...r, [k]: v } : r)))
  return (
    <div class="rows">
      {rows.map((r, i) => (
        <div class="row">
          <input value={r.name} placeholder={placeholder} onInput={(e) => set(i, 'name', e.target.value)} />
          <input value={r.value} placeholder="value" onInput={(e) => set(i, 'value', e.target.value)} />
          <button class="ghost" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button class="ghost small" onClick={() => setRows([...rows, { name: '', value: '' }])}>
        + add
      </button>
    </div>
  )
}

function shell(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`
}

// Mounted afresh for each step (keyed by name), so its first render already holds that
// step's prefilled body: an effect would show the previous step's for a frame.
function Builder({ step }) {
  const [params, setParams] = useState({})
  const [query, setQuery] = useState(() => (step.queryParams || []).map((q) => ({ name: q.name, value: '' })))
  const [headers, setHeaders] = useState([{ name: 'content-type', value: 'application/json' }])
  const [body, setBody] = useState(() => (withBody(step.method) ? JSON.stringify(example(step.bodySchema), null, 2) : ''))
  const [answer, setAnswer] = useState(null)
  const [busy, setBusy] = useState(false)
  const [copied, setCopied] = useState(false)
  const url = useMemo(() => {
    let path = step.path.replace(/:([A-Za-z0-9_]+)/g, (_, p) => encodeURIComponent(params[p] || `:${p}`))
    const qs = query.filter((q) => q.name).map((q) => `${encodeURIComponent(q.name)}=${encodeURIComponent(q.value)}`)
    return window.location.origin + path + (qs.length ? `?${qs.join('&')}` : '')
  }, [step, params, query])
  const send = async () => {
    setBusy(true)
    const started = performance.now()
    try {
      const hdrs = Object.fromEntries(headers.filter((h) => h.name).map((h) => [h.name, h.value]))
      const res = await fetch(url, { method: step.method, headers: hdrs, body: withBody(step.method) ? body : undefined })
      const text = await res.text()
      let shown = text
      try {
        shown = JSON.stringify(JSON.parse(text), null, 2)
      } catch {}
      setAnswer({ status: res.status, ms: performance.now() - started, headers: [...res.headers.entries()], body: shown })
    } catch (e) {
      setAnswer({ status: 0, ms: performance.now() - started, headers: [], body: String(e) })
    }
    setBusy(false)
  }
  const curl = () => {
    const parts = [`curl -i -X ${step.method} ${shell(url)}`]
    for (const h of headers.filter((h) => h.name)) parts.push(`-H ${shell(`${h.name}: ${h.value}`)}`)
    if (withBody(step.method) && body) parts.push(`--data ${shell(body)}`)
    navigator.clipboard?.writeText(parts.join(' \\\n  '))
    setCopied(true)
    setTimeout(() => setCopied(false), 1500)
  }
  return (
    <div class="builder">
      <div class="urlbar">
        <span class={`method m-${step.method}`}>{step.method}</span>
        <code class="url" data-url>
          {url}
        </code>
        <button class="primary" onClick={send} disabled={busy} data-send>
          {busy ? 'Sending…' : 'Send'}
        </button>
        <button class="ghost" onClick={curl}>
          {copied ? 'Copied' : 'Copy as curl'}
        </button>
      </div>
      {step.description && <p class="muted">{step.description}</p>}
      <div class="grid2">
        <div>
          {pathParams(step.path).length > 0 && (
            <>
              <h4>Path params</h4>
              {pathParams(step.path).map((p) => (
                <div class="row">
                  <label>{p}</label>
                  <input
                    data-param={p}
                    value={params[p] || ''}
                    onInput={(e) => setParams({ ...params, [p]: e.target.value })}
                  />
                </div>
              ))}
            </>
          )}
          <h4>Query</h4>
          <Rows rows={query} setRows={setQuery} placeholder="name" />
          <h4>Headers</h4>
          <Rows rows={headers} setRows={setHeaders} placeholder="header" />
        </div>
        <div>
          {withBody(step.method) && (
            <>
              <h4>Body {step.bodySchema && <span class="muted">(from bodySchema)</span>}</h4>
              <textarea class="code" rows="10" value={body} onInput={(e) => setBody(e.target.value)} data-body />
            </>
          )}
        </div>
      </div>
      {answer && (
        <div class="answer" data-answer>
          <div class="answer-head">
            <span class={`status s${String(answer.status)[0]}`} data-status>
              {answer.status || 'failed'}
            </span>
            <span class="muted">{ms(answer.ms)}</span>
          </div>
          <details>
            <summary>{answer.headers.length} headers</summary>
            <table class="kv">
              {answer.headers.map(([k, v]) => (
                <tr>
                  <td>{k}</td>
                  <td>{v}</td>
                </tr>
              ))}
            </table>
          </details>
          <pre class="json">{answer.body}</pre>
        </div>
      )}
    </div>
  )
}

export function Endpoints() {
  const [steps, error] = usePoll('/steps', 5000)
  const [search, setSearch] = useState('')
  const [chosen, setChosen] = useState('')
  const apis = (steps || []).filter((s) => s.type === 'api')
  const shown = apis.filter((s) => `${s.method} ${s.path} ${s.name}`.toLowerCase().includes(search.toLowerCase()))
  const groups = {}
  for (const s of shown) for (const f of s.flows.length ? s.flows : ['default']) (groups[f] ||= []).push(s)
  const step = apis.find((s) => s.name === chosen) || shown[0]
  return (
    <section class="panel endpoints">
      <header>
        <h2>Endpoints</h2>
        <input class="search" placeholder="Search method or path" value={search} onInput={(e) => setSearch(e.target.value)} />
      </header>
      <ErrorNote error={error} />
      <div class="split left">
        <aside class="list">
          {Object.entries(groups).map(([flow, items]) => (
            <div>
              <div class="group-title">{flow}</div>
              {items.map((s) => (
                <button
                  class={`item ${step && s.name === step.name ? 'active' : ''}`}
                  onClick={() => setChosen(s.name)}
                  data-endpoint={`${s.method} ${s.path}`}
                >
                  <span class={`method m-${s.method}`}>{s.method}</span>
                  <span class="path">{s.path}</span>
                  <Lang language={s.language} />
                </button>
              ))}
            </div>
          ))}
          {steps && !apis.length && <Empty>No api steps.</Empty>}
        </aside>
        <div class="main">{step && <Builder key={step.name} step={step} />}</div>
      </div>
    </section>
  )
}
