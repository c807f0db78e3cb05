import { useMemo, useState } from 'preact/hooks'
import dagre from '@dagrejs/dagre'
import { usePoll, Lang, ms, Json, Empty, ErrorNote } from '../util.jsx'

const NODE_W = 210
const NODE_H = 64

function layout(flow) {
  const g = new dagre.graphlib.Graph({ multigraph: true })
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 56, marginx: 24, marginy: 24 })
  g.setDefaultEdgeLabel(() => ({}))
  for (const n of flow.nodes) g.setNode(n.name, { width: NODE_W, height: NODE_H })
  flow.edges.forEach((e, i) =>
    g.setEdge(e.source, e.target, { width: 8 * e.label.length + 16, height: 20, labelpos: 'c' }, `e${i}`),
  )
  dagre.layout(g)
  const nodes = flow.nodes.map((n) => ({ ...n, ...g.node(n.name) }))
  const edges = flow.edges.map((e, i) => ({ ...e, ...g.edge({ v: e.source, w: e.target, name: `e${i}` }) }))
  return { nodes, edges, width: g.graph().width, height: g.graph().height }
}

function subtitle(n) {
  if (n.type === 'api') return `${n.method} ${n.path}`
  if (n.type === 'event') return `on ${(n.subscribes || []).join(', ') || '–'}`
  if (n.type === 'cron') return `cron ${n.cron}`
  return 'noop'
}

function Graph({ flow, selected, onSelect }) {
  const g = useMemo(() => layout(flow), [flow])
  return (
    <svg class="graph" width={g.width} height={g.height} viewBox={`0 0 ${g.width} ${g.height}`}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" fill="#8b93a7" />
        </marker>
      </defs>
      {g.edges.map((e) => {
        const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ')
        return (
          <g class={`edge ${e.virtual ? 'virtual' : ''}`} data-edge={`${e.source}->${e.target}`}>
            <path d={d} marker-end="url(#arrow)" />
            <g transform={`translate(${e.x},${e.y})`}>
              <rect x={-(8 * e.label.length + 16) / 2} y="-10" width={8 * e.label.length + 16} height="20" rx="10" />
              <text text-anchor="middle" dy="4">
                {e.conditional ? '? ' : ''}
                {e.label}
              </text>
            </g>
          </g>
        )
      })}
      {g.nodes.map((n) => (
        <g
          class={`node node-${n.type} ${selected === n.name ? 'selected' : ''} ${n.live ? '' : 'down'}`}
          transform={`translate(${n.x - NODE_W / 2},${n.y - NODE_H / 2})`}
          onClick={() => onSelect(n.name)}
          data-node={n.name}
        >
          <rect width={NODE_W} height={NODE_H} rx="10" />
          <rect class="stripe" width="6" height={NODE_H} rx="3" />
          <text x="18" y="24" class="title">
            {n.name}
          </text>
          <text x="18" y="44" class="sub">
            {subtitle(n).slice(0, 30)}
          </text>
          <g transform={`translate(${NODE_W - 34},10)`}>
            <rect class={`badge lang-${n.language}`} width="26" height="16" rx="8" />
            <text x="13" y="12" text-anchor="middle" class="badge-text">
              {{ python: 'py', node: 'ts', ruby: 'rb' }[n.language] || n.language}
            </text>
          </g>
          <text x={NODE_W - 10} y="54" text-anchor="end" class="count">
            {n.counters.invocations ? `${n.counters.invocations}×` : ''}
            {n.counters.errors ? ` ${n.counters.errors}✕` : ''}
          </text>
        </g>
      ))}
    </svg>
  )
}

function Details({ node }) {
  if (!node) return <Empty>Select a step to see its config, file and live counters.</Empty>
  const c = node.counters
  return (
    <div class="details">
      <div class="details-head">
        <span class={`type type-${node.type}`}>{node.type}</span>
        <h3>{node.name}</h3>
        <Lang language={node.language} />
      </div>
      {node.description && <p class="muted">{node.description}</p>}
      <div class="stats">
        <div>
          <b data-counter="invocations">{c.invocations}</b>
          <span>invocations</span>
        </div>
        <div class={c.errors ? 'bad' : ''}>
          <b data-counter="errors">{c.errors}</b>
          <span>errors</span>
        </div>
        <div>
          <b>{ms(c.p50Ms)}</b>
          <span>p50</span>
        </div>
      </div>
      <dl>
        <dt>file</dt>
        <dd>
          <code>{node.file}</code>
        </dd>
        <dt>status</dt>
        <dd>{node.live ? `live on ${node.sidecars.join(', ')}` : 'no sidecar serving it'}</dd>
        {node.type === 'api' && (
          <>
            <dt>route</dt>
            <dd>
              <code>
                {node.method} {node.path}
              </code>
            </dd>
          </>
        )}
        {node.subscribes && (
          <>
            <dt>subscribes</dt>
            <dd>{node.subscribes.join(', ') || '–'}</dd>
          </>
        )}
        {node.cron && (
          <>
            <dt>schedule</dt>
            <dd>
              <code>{node.cron}</code>
            </dd>
          </>
        )}
        <dt>emits</dt>
        <dd>{node.emits.map((e) => e.topic + (e.conditional ? ' (conditional)' : '')).join(', ') || '–'}</dd>
      </dl>
      {(node.bodySchema || node.input) && (
        <>
          <h4>{node.bodySchema ? 'bodySchema' : 'input'}</h4>
          <Json value={node.bodySchema || node.input} />
        </>
      )}
    </div>
  )
}

export function Flows({ arg }) {
  const [list, listError] = usePoll('/flows', 5000)
  const [chosen, setChosen] = useState(arg || '')
  const name = chosen || (list && list[0] && list[0].name) || ''
  const [flow, flowError] = usePoll(name ? `/flows/${encodeURIComponent(name)}` : '', 2000)
  // The chosen node belongs to the flow it was chosen in: another flow starts with none.
  const [pick, setPick] = useState({ flow: '', node: '' })
  const selected = pick.flow === name ? pick.node : ''
  const setSelected = (node) => setPick({ flow: name, node })
  const node = flow && flow.nodes.find((n) => n.name === selected)
  return (
    <section class="panel flows">
      <header>
        <h2>Flows</h2>
        <div class="tabs">
          {(list || []).map((f) => (
            <button class={f.name === name ? 'tab active' : 'tab'} onClick={() => setChosen(f.name)} data-flow={f.name}>
              {f.name} <span class="muted">{f.steps}</span>
            </button>
          ))}
        </div>
        <div class="legend">
          {['api', 'event', 'cron', 'noop'].map((t) => (
            <span class={`type type-${t}`}>{t}</span>
          ))}
          <span class="muted">– – virtual</span>
        </div>
      </header>
      <ErrorNote error={listError || flowError} />
      {list && !list.length && <Empty>No steps are registered yet.</Empty>}
      <div class="split">
        <div class="canvas">{flow && <Graph flow={flow} selected={selected} onSelect={setSelected} />}</div>
        <aside class="side-panel">
          <Details node={node} />
        </aside>
      </div>
    </section>
  )
}
