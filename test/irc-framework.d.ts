/** The few parts of irc-framework 4.14 (no types of its own) the IRC tests use. */
declare module "irc-framework" {
  import { EventEmitter } from "node:events";

  export interface ClientOptions {
    host?: string;
    port?: number;
    nick?: string;
    username?: string;
    gecos?: string;
    password?: string;
    auto_reconnect?: boolean;
    enable_echomessage?: boolean;
    ping_interval?: number;
    ping_timeout?: number;
    message_max_length?: number;
  }

  export interface MessageEvent {
    type: "privmsg" | "notice" | "action";
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    time?: number;
    tags: Record<string, string>;
  }

  export class Client extends EventEmitter {
    constructor(options?: ClientOptions);
    connect(options?: ClientOptions): void;
    user: { nick: string };
    network: {
      options: Record<string, unknown>;
      cap: { enabled: string[]; isEnabled(cap: string): boolean };
    };
    raw(line: string): void;
    say(target: string, message: string): void;
    notice(target: string, message: string): void;
    action(target: string, message: string): void;
    join(channel: string): void;
    changeNick(nick: string): void;
    quit(message?: string): void;
  }

  const irc: { Client: typeof Client };
  export default irc;
}
