import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { takeTokenFromAddress, token, setToken } from './api.js'
import { Flows } from './panels/Flows.jsx'
import { Endpoints } from './panels/Endpoints.jsx'
import { Logs } from './panels/Logs.jsx'
import { Traces } from './panels/Traces.jsx'
import { State } from './panels/State.jsx'
import { Streams } from './panels/Streams.jsx'
import { DeadLetters } from './panels/DeadLetters.jsx'
import { Deployments } from './panels/Deployments.jsx'
import './style.css'

const PANELS = [
  ['flows', 'Flows', Flows, '◇'],
  ['endpoints', 'Endpoints', Endpoints, '⇄'],
  ['logs', 'Logs', Logs, '≡'],
  ['traces', 'Traces', Traces, '▤'],
  ['state', 'State', State, '⛁'],
  ['streams', 'Streams', Streams, '≈'],
  ['dead-letters', 'Dead letters', DeadLetters, '⚠'],
  ['deployments', 'Deployments', Deployments, '⇪'],
]

function route() {
  const [, panel = 'flows', ...rest] = window.location.hash.replace(/^#/, '').split('/')
  return { panel, arg: rest.map(decodeURIComponent).join('/') }
}

function TokenForm() {
  const [value, setValue] = useState('')
  return (
    <div class="token-form">
      <h2>This host's Workbench needs its secret</h2>
      <p>
        Open the address <code>stephost dev</code> printed, or paste the host's secret (
        <code>STEPHOST_SECRET</code>, or the file <code>&lt;state_dir&gt;/secret</code>).
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          setToken(value.trim())
          window.location.reload()
        }}
      >
        <input type="password" value={value} onInput={(e) => setValue(e.target.value)} placeholder="secret" />
        <button class="primary">Open</button>
      </form>
    </div>
  )
}

function App() {
  const [where, setWhere] = useState(route())
  useEffect(() => {
    const on = () => setWhere(route())
    window.addEventListener('hashchange', on)
    return () => window.removeEventListener('hashchange', on)
  }, [])
  const found = PANELS.find(([id]) => id === where.panel) || PANELS[0]
  const Panel = found[2]
  return (
    <div class="shell">
      <nav class="side">
        <div class="brand">
          <span class="logo">◆</span> stephost <span class="muted">workbench</span>
        </div>
        {PANELS.map(([id, label, , icon]) => (
          <a key={id} href={`#/${id}`} class={id === found[0] ? 'active' : ''} data-panel={id}>
            <span class="icon">{icon}</span>
            {label}
          </a>
        ))}
        <div class="side-foot muted">{window.location.host}</div>
      </nav>
      <main class="content">{token() ? <Panel arg={where.arg} /> : <TokenForm />}</main>
    </div>
  )
}

takeTokenFromAddress()
render(<App />, document.getElementById('app'))
