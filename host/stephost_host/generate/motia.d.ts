  // What step files import from 'motia', in Motia's shape; the project's `Handlers` follow.
  // Each handler type takes its input, its response union and the events it may emit
  // (`{ topic: 'a'; data: A } | ...`), so `Handlers['StepName']` checks all three.

  export interface Logger {
    debug(message: string, fields?: Record<string, unknown>): void
    info(message: string, fields?: Record<string, unknown>): void
    warn(message: string, fields?: Record<string, unknown>): void
    error(message: string, fields?: Record<string, unknown>): void
  }

  export interface InternalStateManager {
    get<T = any>(groupId: string, key: string): Promise<T | null>
    set<T = any>(groupId: string, key: string, value: T): Promise<T>
    delete<T = any>(groupId: string, key: string): Promise<T | null>
    getGroup<T = any>(groupId: string): Promise<T[]>
    clear(groupId: string): Promise<void>
  }

  export interface StreamChannel {
    groupId: string
    id?: string
  }

  export interface MotiaStream<TData = any> {
    get(groupId: string, id: string): Promise<(TData & { id: string }) | null>
    set(groupId: string, id: string, data: TData): Promise<TData & { id: string }>
    delete(groupId: string, id: string): Promise<(TData & { id: string }) | null>
    getGroup(groupId: string): Promise<Array<TData & { id: string }>>
    send<T = any>(channel: StreamChannel, event: { type: string; data: T }): Promise<void>
  }

  export interface FlowContextStateStreams {
    [name: string]: MotiaStream<any>
  }

  export type EmitOptions = { messageGroupId?: string }
  export type Emitter<TEmitData> = (event: TEmitData & EmitOptions) => Promise<void>

  export interface FlowContext<TEmitData = never> {
    emit: Emitter<TEmitData>
    traceId: string
    traceparent: string // W3C trace context of this invocation's span (stephost)
    state: InternalStateManager
    logger: Logger
    streams: FlowContextStateStreams
  }

  export interface ApiRequest<TBody = any> {
    method: string
    path: string
    pathParams: Record<string, string>
    queryParams: Record<string, string | string[]>
    headers: Record<string, string | string[]>
    body: TBody
    bodyKind?: string
    rawBody?: any
    files?: any[]
  }

  export type ApiResponse<TStatus extends number = number, TBody = any> = {
    status: TStatus
    headers?: Record<string, string>
    body: TBody
  }

  export type ApiRouteHandler<
    TRequestBody = any,
    TResponseBody extends ApiResponse<number, any> = ApiResponse<number, any>,
    TEmitData = never,
  > = (req: ApiRequest<TRequestBody>, ctx: FlowContext<TEmitData>) => Promise<TResponseBody>

  export type EventHandler<TInput = any, TEmitData = never> = (
    input: TInput,
    ctx: FlowContext<TEmitData>,
  ) => Promise<void>

  export type CronHandler<TEmitData = never> = (ctx: FlowContext<TEmitData>) => Promise<void>

  export type ApiMiddleware = (
    req: ApiRequest<any>,
    ctx: FlowContext<any>,
    next: () => Promise<ApiResponse<number, any>>,
  ) => Promise<ApiResponse<number, any>>

  export type ApiRouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'
  export type Emit = string | { topic: string; label?: string; conditional?: boolean }

  interface StepConfigBase {
    name: string
    description?: string
    flows?: string[]
    emits?: readonly Emit[]
    virtualEmits?: readonly Emit[]
    virtualSubscribes?: readonly string[]
    includeFiles?: readonly string[]
    infrastructure?: Record<string, any>
  }

  export interface ApiRouteConfig extends StepConfigBase {
    type: 'api'
    path: string
    method: ApiRouteMethod
    bodySchema?: any
    responseSchema?: Record<number, any>
    queryParams?: ReadonlyArray<{ name: string; description?: string }>
    middleware?: readonly ApiMiddleware[]
    cors?: boolean | Record<string, any>
  }

  export interface EventConfig extends StepConfigBase {
    type: 'event'
    subscribes: readonly string[]
    input?: any
  }

  export interface CronConfig extends StepConfigBase {
    type: 'cron'
    cron: string
  }

  export interface NoopConfig extends StepConfigBase {
    type: 'noop'
  }

  export type StepConfig = ApiRouteConfig | EventConfig | CronConfig | NoopConfig

  export interface StreamConfig {
    name: string
    schema: any
    baseConfig: { storageType: 'default' } | Record<string, any>
    canAccess?: (subscription: { groupId: string; id?: string }, authContext: any) => boolean | Promise<boolean>
  }
