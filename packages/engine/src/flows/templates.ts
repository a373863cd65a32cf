import { filters, Liquid, type Template } from "liquidjs";
import type { Clock } from "../clock.ts";

/** Studio's limit on what one template may produce. */
export const MAX_TEMPLATE_OUTPUT = 16 * 1024;

/** Parsed templates kept for reuse; a flow's templates are few and rendered many times. */
const CACHE_SIZE = 2_000;

export class TemplateError extends Error {
  override name = "TemplateError";
}

/**
 * Liquid as Studio speaks it: `{{ … }}` output and `{% … %}` logic over the execution's context,
 * with the standard filters. Nothing is read from disk (no includes), output is never HTML-escaped,
 * undefined variables render empty, and `"now" | date` reads the injected clock so that renders are
 * reproducible. Dates render in UTC unless a filter says otherwise.
 */
export class Templates {
  private readonly liquid: Liquid;
  private readonly parsed = new Map<string, Template[]>();

  constructor(clock: Clock) {
    this.liquid = new Liquid({
      templates: {},
      timezoneOffset: 0,
      // Guards against templates that would hang or exhaust the host.
      parseLimit: 1_000_000,
      renderLimit: 1_000,
      memoryLimit: 10_000_000,
    });
    const date = filters.date!;
    this.liquid.registerFilter("date", function (this: unknown, value: unknown, ...args: unknown[]) {
      const input = value === "now" || value === "today" ? new Date(clock.now()) : value;
      return (date as (this: unknown, ...rest: unknown[]) => unknown).call(this, input, ...args);
    });
  }

  /** Why `template` does not parse, or undefined when it does. */
  problem(template: string): string | undefined {
    try {
      this.parse(template);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** `template` rendered over `scope`; a TemplateError when it does not parse, fails or is too long. */
  render(template: string, scope: object): string {
    if (!template.includes("{")) return template;
    let output: string;
    try {
      output = this.liquid.renderSync(this.parse(template), scope) as string;
    } catch (error) {
      throw new TemplateError(error instanceof Error ? error.message : String(error));
    }
    if (output.length > MAX_TEMPLATE_OUTPUT)
      throw new TemplateError(`the template produced ${output.length} characters; the limit is 16 KB`);
    return output;
  }

  private parse(template: string): Template[] {
    let parsed = this.parsed.get(template);
    if (!parsed) {
      parsed = this.liquid.parse(template);
      if (this.parsed.size >= CACHE_SIZE) this.parsed.delete(this.parsed.keys().next().value!);
      this.parsed.set(template, parsed);
    }
    return parsed;
  }
}
