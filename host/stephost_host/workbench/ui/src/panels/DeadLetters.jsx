import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { usePoll, Json, Empty, ErrorNote, clock } from '../util.jsx'

export function DeadLetters() {
  const [list, error, reload] = usePoll('/dlq?limit=500', 3000)
  const [chosen, setChosen] = useState(null)
  const [note, setNote] = useState(null)
  const letter = (list || []).find((d) => d.id === chosen) || (list || [])[0]
  const act = async (what) => {
    try {
      const done = await api(`/dlq/${what}`, { method: 'POST', body: { ids: [letter.id] } })
      setNote(`${what === 'replay' ? 'replayed' : 'discarded'} ${done.replayed ?? done.discarded}`)
      setChosen(null)
      reload()
    } catch (e) {
      setNote(e.message)
    }
  }
  return (
    <section class="panel dead-letters">
      <header>
        <h2>Dead letters</h2>
        {note && <span class="good" data-note>{note}</span>}
      </header>
      <ErrorNote error={error} />
      <div class="split left">
        <aside class="list">
          {(list || []).map((d) => (
            <button class={`item ${letter && d.id === letter.id ? 'active' : ''}`} onClick={() => setChosen(d.id)} data-dead={d.id}>
              <div class="trace-top">
                <span>{d.step}</span>
                <span class="muted">#{d.id}</span>
              </div>
              <div class="muted">
                {d.topic} · {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
              </div>
            </button>
          ))}
          {list && !list.length && <Empty>No dead letters. Events whose handler failed for good land here.</Empty>}
        </aside>
        <div class="main">
          {letter && (
            <div>
              <div class="editor-head">
                <h3>
                  {letter.step} <span class="muted">#{letter.id}</span>
                </h3>
                <div class="actions">
                  <button class="primary" onClick={() => act('replay')} data-replay>
                    Replay
                  </button>
                  <button class="danger ghost" onClick={() => act('discard')} data-discard>
                    Discard
                  </button>
                </div>
              </div>
              <dl>
                <dt>topic</dt>
                <dd>{letter.topic}</dd>
                <dt>attempts</dt>
                <dd>{letter.attempts}</dd>
                {letter.traceId && (
                  <>
                    <dt>trace</dt>
                    <dd>
                      <a href={`#/traces/${letter.traceId}`}>{letter.traceId}</a>
                    </dd>
                  </>
                )}
                {letter.lastFailedAt && (
                  <>
                    <dt>last failed</dt>
                    <dd>{clock(letter.lastFailedAt)}</dd>
                  </>
                )}
              </dl>
              {letter.error && (
                <div class="span-error">
                  <b>
                    {letter.error.type}: {letter.error.message}
                  </b>
                  {letter.error.stack && <pre class="stack">{letter.error.stack}</pre>}
                </div>
              )}
              <h4>data</h4>
              <Json value={letter.data} />
            </div>
          )}
        </div>
      </div>
    </section>
  )
}
