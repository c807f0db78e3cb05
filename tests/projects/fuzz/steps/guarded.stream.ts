// Only groups named "ok-..." may be watched: joins exercise the Node sidecar's access hook.
export const config = {
  name: 'guarded',
  schema: { type: 'object' },
  baseConfig: { storageType: 'default' },
  canAccess: (subscription: { groupId: string }) => subscription.groupId.startsWith('ok-'),
}
