// Stream items live over the host's stream WebSocket (Motia's protocol: http/ws.py), the same
// socket a project's browsers use. A join answers with a `sync` of the group, then every
// create / update / delete as it happens; the socket reconnects and joins again after a drop.
// The page presents the host's secret; when the project's stream auth refuses it (a stream
// auth hook: the secret opens only the host's own streams there), the page follows the group
// over the admin API's event stream instead ('admin'), which reads as the operator. Custom
// events (a step's `streams.x.send`) are not items: the last EVENTS_KEPT of them are kept
// beside the items, newest first.
import { useEffect, useState } from 'preact/hooks'
import { tail, token } from './api.js'
import { useVisible } from './visible.js'

const EVENTS_KEPT = 50
const SOCKET = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/`

function apply(items, event, id) {
  switch (event.type) {
    case 'sync':
      return Array.isArray(event.data) ? event.data : event.data ? [event.data] : []
    case 'create':
    case 'update': {
      const at = items.findIndex((it) => it.id === id)
      if (at < 0) return [...items, event.data]
      const next = items.slice()
      next[at] = event.data
      return next
    }
    case 'delete':
      return items.filter((it) => it.id !== id)
    default:
      return items
  }
}

// [items or null until the first sync, 'connecting' | 'live' | 'reconnecting' | 'admin', error or
// null, custom events newest first: {type, data, id, at}]
export function useStreamGroup(stream, group) {
  const [items, setItems] = useState(null)
  const [events, setEvents] = useState([])
  const [state, setState] = useState('connecting')
  const [error, setError] = useState(null)
  useEffect(() => {
    if (!stream || !group) return undefined
    let ws = null
    let retry = null
    let stopTail = null
    let closed = false // unmounted, or another group picked
    let refused = false // the socket will not admit this page to this stream
    // A frame's event, from the socket or the admin API's event stream (the same shape).
    const receive = (frame) => {
      const event = frame.event
      if (event.type === 'event') {
        const got = { ...event.event, id: frame.id || null, at: frame.timestamp || Date.now() }
        return setEvents((old) => [got, ...old].slice(0, EVENTS_KEPT))
      }
      setItems((old) => apply(old || [], event, frame.id))
    }
    const fallBack = () => {
      refused = true
      ws.close()
      const path = `/stream-groups/${encodeURIComponent(stream)}/${encodeURIComponent(group)}/live`
      stopTail = tail(path, receive, (s) => setState(s === 'live' ? 'admin' : s))
    }
    setItems(null)
    setError(null)
    setEvents([])
    const open = () => {
      setState('connecting')
      ws = new WebSocket(SOCKET, ['Authorization', token()])
      ws.onopen = () =>
        ws.send(JSON.stringify({ type: 'join', data: { streamName: stream, groupId: group, subscriptionId: 'workbench' } }))
      ws.onmessage = (m) => {
        const frame = JSON.parse(m.data)
        if (frame.type === 'error') return setError(new Error(frame.error.message))
        if (frame.streamName !== stream || frame.groupId !== group) return
        const event = frame.event
        if (event.type === 'event' && event.event && event.event.type === 'error') {
          if (event.event.data.code === 'forbidden') return fallBack()
          return setError(new Error(event.event.data.message))
        }
        if (event.type === 'sync') setState('live')
        receive(frame)
      }
      ws.onclose = () => {
        if (closed || refused) return
        setState('reconnecting')
        retry = setTimeout(open, 1000)
      }
    }
    open()
    return () => {
      closed = true
      clearTimeout(retry)
      if (stopTail) stopTail()
      if (ws) ws.close()
    }
  }, [stream, group])
  return [items, state, error, events]
}

// The streams and their groups that hold items: sent once, then again each time a group gets
// its first item or loses its last (server-sent events), while the tab is shown.
export function useStreamGroups() {
  const visible = useVisible()
  const [groups, setGroups] = useState(null)
  const [state, setState] = useState('connecting')
  useEffect(() => (visible ? tail('/stream-groups/live', setGroups, setState) : undefined), [visible])
  return [groups, state]
}
