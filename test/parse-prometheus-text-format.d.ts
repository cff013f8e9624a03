/** The parts of parse-prometheus-text-format 1.1.1 (no types of its own) the metrics tests use. */
declare module "parse-prometheus-text-format" {
  export interface PromSample {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface PromFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: PromSample[];
  }
  /** Throws (InvalidLineError) on a line it cannot parse. */
  export default function parsePrometheusTextFormat(text: string): PromFamily[];
}
