// The admin API, with the host's secret. `stephost dev` prints the page's address with
// #token=<secret>; the page keeps it for this tab only (sessionStorage) and drops it from
// the address bar.
export const ADMIN = new URL('..', window.location.href).pathname.replace(/\/$/, '')

const KEY = 'stephost-token'

export function takeTokenFromAddress() {
  const m = window.location.hash.match(/token=([^&]+)/)
  if (m) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]))
    window.location.hash = '#/flows'
  }
}

export const token = () => sessionStorage.getItem(KEY) || ''
export const setToken = (t) => sessionStorage.setItem(KEY, t)

export class ApiError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

export async function api(path, { method = 'GET', body, raw } = {}) {
  const headers = { authorization: `Bearer ${token()}` }
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(ADMIN + path, {
    method,
    headers,
    body: raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = text
  }
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || `${res.status} ${res.statusText}`)
  return data
}

// Server-sent events read with fetch (EventSource cannot send the Authorization header);
// `onEvent` gets each event's data, parsed.
export function tail(path, onEvent, onState) {
  const ctrl = new AbortController()
  ;(async () => {
    while (!ctrl.signal.aborted) {
      try {
        const res = await fetch(ADMIN + path, {
          headers: { authorization: `Bearer ${token()}` },
          signal: ctrl.signal,
        })
        if (!res.ok) throw new Error(`${res.status}`)
        onState('live')
        const reader = res.body.getReader()
        const decoder = new TextDecoder()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buf += decoder.decode(value, { stream: true })
          let cut
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const chunk = buf.slice(0, cut)
            buf = buf.slice(cut + 2)
            for (const line of chunk.split('\n')) {
              if (!line.startsWith('data: ')) continue
              let data
              try {
                data = JSON.parse(line.slice(6))
              } catch {
                continue // not JSON: not an event of this page's
              }
              onEvent(data)
            }
          }
        }
      } catch (e) {
        if (ctrl.signal.aborted) return
      }
      onState('reconnecting')
      await new Promise((r) => setTimeout(r, 1000))
    }
  })()
  return () => ctrl.abort()
}
