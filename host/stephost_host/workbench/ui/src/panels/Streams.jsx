import { useState } from 'preact/hooks'
import { Json, Empty, ErrorNote, clock } from '../util.jsx'
import { useStreamGroup, useStreamGroups } from '../live.js'

// Streams: the defined streams and their groups (live: a new group shows at once), and the
// picked group's items live over the stream WebSocket, with the custom events its steps send
// (`streams.<name>.send`), newest first.
const LIVE = { live: 'live', connecting: 'connecting…', reconnecting: 'reconnecting…', admin: 'live (admin API)' }

export function Streams() {
  const [streams, groupsState] = useStreamGroups()
  const [chosen, setChosen] = useState(null)
  const names = Object.entries(streams || {})
  const first = names.find(([, groups]) => groups.length)
  const pick = chosen || (first ? [first[0], first[1][0]] : null)
  const [items, state, itemsError, events] = useStreamGroup(pick && pick[0], pick && pick[1])
  return (
    <section class="panel streams">
      <header>
        <h2>Streams</h2>
        {pick && (
          <span
            class={`live-dot ${state === 'live' || state === 'admin' ? 'live' : ''}`}
            data-socket={state}
            title={state === 'admin' ? "the project's stream auth keeps the socket to its users" : undefined}
          >
            {LIVE[state]}
          </span>
        )}
      </header>
      <ErrorNote error={itemsError} />
      <div class="split left">
        <aside class="list" data-groups={groupsState}>
          {names.map(([stream, groups]) => (
            <div key={stream}>
              <div class="group-title" title={stream}>
                {stream}
              </div>
              {groups.map((g) => (
                <button
                  key={g}
                  class={`item ${pick && pick[0] === stream && pick[1] === g ? 'active' : ''}`}
                  onClick={() => setChosen([stream, g])}
                  data-stream-group={`${stream}/${g}`}
                  title={g}
                >
                  <span class="ellipsis">{g}</span>
                </button>
              ))}
              {!groups.length && <div class="muted small-pad">no items yet</div>}
            </div>
          ))}
          {streams && !names.length && <Empty>No streams are defined.</Empty>}
        </aside>
        <div class="main">
          {pick ? (
            <>
              <h3 class="ellipsis">
                {pick[0]} <span class="muted">/</span> {pick[1]}{' '}
                {items && <span class="muted count-note">{items.length} items</span>}
              </h3>
              <div class="cards">
                {(items || []).map((it) => (
                  <div class="card" data-item={it.id} key={it.id}>
                    <div class="card-head ellipsis" title={it.id}>
                      {it.id}
                    </div>
                    <Json value={it} />
                  </div>
                ))}
              </div>
              {items && !items.length && <Empty>This group has no items now.</Empty>}
              {events.length > 0 && <StreamEvents events={events} />}
            </>
          ) : (
            <Empty>{streams && names.length ? 'No stream holds items yet: they show here as they are set.' : ''}</Empty>
          )}
        </div>
      </div>
    </section>
  )
}

// What the group's steps sent (not stored: only what arrived while the page was open).
function StreamEvents({ events }) {
  return (
    <div class="stream-events">
      <h3>
        Events <span class="muted count-note">sent while this page was open, newest first</span>
      </h3>
      {events.map((e, i) => (
        <div class="stream-event" data-stream-event={e.type} key={`${e.at}-${i}`}>
          <span class="muted">{clock(e.at / 1000)}</span>
          <span class="emit">{e.type}</span>
          {e.id && <span class="muted ellipsis">item {e.id}</span>}
          <code class="ellipsis">{JSON.stringify(e.data)}</code>
        </div>
      ))}
    </div>
  )
}
