export type Deployment = { id?: string; service: string; version: string; status: string; history: string[] }

// The whole item is replaced on every change, as Motia's deployment-status stream does.
export async function advance(streams: any, id: string, status: string): Promise<Deployment> {
  const current: Deployment = await streams['deployment-status'].get('deployments', id)
  const next = { ...current, status, history: [...current.history, status], updatedAt: new Date().toISOString() }
  delete next.id
  return streams['deployment-status'].set('deployments', id, next)
}
