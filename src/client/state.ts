/**
 * What the client knows about the room, as a pure reducer of server events: who we are and who
 * is online (kept current for Tab completion by welcome/joined/left/renamed/users).
 */
import type { ServerEvent } from "../protocol/events.ts";

export interface ClientState {
  /** Our registered name; kept across a reconnect so we can claim it again. */
  readonly self: string | undefined;
  /** Everyone online, us included, in the order the server told us. */
  readonly users: readonly string[];
}

export const INITIAL_STATE: ClientState = { self: undefined, users: [] };

/** The state after `event`; the same object when the event changes nothing. */
export function reduce(state: ClientState, event: ServerEvent): ClientState {
  switch (event.type) {
    case "welcome":
      return { self: event.name, users: unique(event.users.map((u) => u.name)) };
    case "users":
      return { ...state, users: unique(event.users.map((u) => u.name)) };
    case "joined":
      return state.users.includes(event.name) ? state : { ...state, users: [...state.users, event.name] };
    case "left":
      return state.users.includes(event.name)
        ? { ...state, users: state.users.filter((n) => n !== event.name) }
        : state;
    case "renamed":
      return {
        self: state.self === event.from ? event.to : state.self,
        users: unique(state.users.map((n) => (n === event.from ? event.to : n))),
      };
    default:
      return state;
  }
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
