import { useState } from 'preact/hooks'
import { usePoll, Json, Empty, ErrorNote } from '../util.jsx'

export function Streams() {
  const [streams, error] = usePoll('/stream-groups', 3000)
  const [chosen, setChosen] = useState(null)
  const names = Object.entries(streams || {})
  const pick = chosen || (names.length && names[0][1].length ? [names[0][0], names[0][1][0]] : null)
  const [items, itemsError] = usePoll(
    pick ? `/stream-groups/${encodeURIComponent(pick[0])}/${encodeURIComponent(pick[1])}` : '',
    1000,
  )
  return (
    <section class="panel streams">
      <header>
        <h2>Streams</h2>
        <span class="live-dot live">live</span>
      </header>
      <ErrorNote error={error || itemsError} />
      <div class="split left">
        <aside class="list">
          {names.map(([stream, groups]) => (
            <div>
              <div class="group-title">{stream}</div>
              {groups.map((g) => (
                <button
                  class={`item ${pick && pick[0] === stream && pick[1] === g ? 'active' : ''}`}
                  onClick={() => setChosen([stream, g])}
                  data-stream-group={`${stream}/${g}`}
                >
                  {g}
                </button>
              ))}
              {!groups.length && <div class="muted small-pad">no items yet</div>}
            </div>
          ))}
          {streams && !names.length && <Empty>No streams are defined.</Empty>}
        </aside>
        <div class="main">
          {pick && (
            <h3>
              {pick[0]} <span class="muted">/</span> {pick[1]}
            </h3>
          )}
          <div class="cards">
            {(items || []).map((it) => (
              <div class="card" data-item={it.id}>
                <div class="card-head">{it.id}</div>
                <Json value={it} />
              </div>
            ))}
          </div>
        </div>
      </div>
    </section>
  )
}
