export * from "./isupport.ts";
export * from "./message.ts";
export * from "./names.ts";
export * from "./numerics.ts";
export * from "./split.ts";
