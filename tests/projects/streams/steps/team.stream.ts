// A stream defined in TypeScript with Motia's canAccess: only members of a team may watch it.
export const config = {
  name: 'team',
  schema: { type: 'object' },
  baseConfig: { storageType: 'default' },
  canAccess: (subscription: { groupId: string }, authContext: { user?: string } | null) =>
    subscription.groupId === `team-${authContext?.user}`,
}
