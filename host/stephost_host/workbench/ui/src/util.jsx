import { useEffect, useRef, useState } from 'preact/hooks'
import { api } from './api.js'
import { useVisible } from './visible.js'

// Polls an admin path every `ms` (0: once); returns [data, error, reload]. With `slowest`,
// each answer that changed nothing doubles the wait up to it (a finished trace is not asked
// for every few seconds), and a change brings it back to `ms`. A hidden tab does not poll: it
// asks at once when shown again.
export function usePoll(path, ms = 2000, slowest = ms) {
  const [data, setData] = useState(null)
  const [error, setError] = useState(null)
  const visible = useVisible()
  const tick = useRef(0)
  const last = useRef('')
  const load = async () => {
    if (!path) return false
    const mine = ++tick.current
    try {
      const d = await api(path)
      const text = JSON.stringify(d)
      if (mine !== tick.current) return false
      setError(null)
      if (text === last.current) return false // unchanged data: no re-render
      last.current = text
      setData(d)
      return true
    } catch (e) {
      if (mine === tick.current) setError(e)
      return true // asked again soon: an error is news
    }
  }
  useEffect(() => {
    setData(null)
    last.current = ''
  }, [path])
  useEffect(() => {
    if (!path || !visible) return undefined
    let wait = ms
    let timer = null
    let stopped = false
    const next = async () => {
      const changed = await load()
      if (stopped || !ms) return
      wait = changed ? ms : Math.min(wait * 2, slowest)
      timer = setTimeout(next, wait)
    }
    next()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [path, ms, slowest, visible])
  return [data, error, load]
}

export const LANG = { python: 'py', node: 'ts', ruby: 'rb' }

export function Lang({ language }) {
  return <span class={`lang lang-${language}`}>{LANG[language] || language}</span>
}

export function ms(v) {
  if (v === null || v === undefined) return '–'
  return v < 10 ? `${v.toFixed(2)} ms` : v < 1000 ? `${v.toFixed(1)} ms` : `${(v / 1000).toFixed(2)} s`
}

export function clock(ts) {
  const d = new Date(ts * 1000)
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0')
}

export function Json({ value }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>
}

export function Empty({ children }) {
  return <div class="empty">{children}</div>
}

export function ErrorNote({ error }) {
  return error ? <div class="error-note">{String(error.message || error)}</div> : null
}

// An example value shaped like a JSON schema (the request body builder starts from it).
export function example(schema) {
  if (!schema || typeof schema !== 'object') return {}
  if (schema.example !== undefined) return schema.example
  if (schema.default !== undefined) return schema.default
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'object': {
      const out = {}
      for (const [k, v] of Object.entries(schema.properties || {})) out[k] = example(v)
      return out
    }
    case 'array':
      return [example(schema.items)]
    case 'integer':
      return Math.max(1, schema.minimum || 0)
    case 'number':
      return schema.minimum || 0
    case 'boolean':
      return false
    case 'string':
      return schema.format === 'email' ? 'someone@example.com' : 'text'
    default:
      return schema.properties ? example({ ...schema, type: 'object' }) : null
  }
}

// A danger button that asks first, inline: `question` and a "Yes" that runs `onYes`.
// `data` names the first button for tests (e.g. {'data-delete': true}). Give it a `key` to
// forget a pending question when what it acts on changes.
export function Confirm({ label, question, yes, onYes, data }) {
  const [asking, setAsking] = useState(false)
  if (!asking) {
    return (
      <button class="danger ghost" onClick={() => setAsking(true)} {...data}>
        {label}
      </button>
    )
  }
  return (
    <span class="confirm">
      {question}{' '}
      <button
        class="danger"
        onClick={async () => {
          await onYes()
          setAsking(false)
        }}
        data-confirm
      >
        {yes}
      </button>{' '}
      <button class="ghost" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  )
}

export function go(panel, arg) {
  window.location.hash = `#/${panel}${arg ? '/' + encodeURIComponent(arg) : ''}`
}
