import type { z } from 'zod';

/**
 * One AgentApi method: the schema its request must pass at every entry
 * (IPC, WebSocket, CLI) and, as a phantom type, what it resolves to.
 */
export interface MethodSpec<Req extends z.ZodType, Res> {
  readonly request: Req;
  readonly description: string;
  /** Never read at run time: carries the response type to AgentApi. */
  readonly response?: Res;
}

/** `method<Response>()(requestSchema, 'what it does')` */
export function method<Res>() {
  return <Req extends z.ZodType>(request: Req, description: string): MethodSpec<Req, Res> => ({
    request,
    description,
  });
}

export type ContractShape = Record<string, MethodSpec<z.ZodType, unknown>>;

export type ApiOf<C extends ContractShape> = {
  [K in keyof C]: C[K] extends MethodSpec<infer Req, infer Res>
    ? (request: z.input<Req>) => Promise<Res>
    : never;
};

export type HandlersOf<C extends ContractShape> = {
  [K in keyof C]: C[K] extends MethodSpec<infer Req, infer Res>
    ? (request: z.output<Req>) => Promise<Res>
    : never;
};
