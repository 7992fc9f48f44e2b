/**
 * Validation helpers that throw errors naming the field and the expected value, in the form
 * `Cannot <action>: <field> must be <expected>, got <actual>`.
 *
 * @module
 */

/** Describes a value briefly for an error message. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return `a typed array of length ${(value as Uint8Array).length}`;
  }
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

/**
 * @param action What was being done, e.g. "build network".
 * @param field The dotted field name.
 * @param value The value to check.
 * @param options `min`/`max` bounds, `exclusiveMin` for strict positivity, `integer`.
 * @returns The value, when valid.
 * @throws {TypeError} If the value is not a finite number (or not an integer when required).
 * @throws {RangeError} If the value is out of range.
 */
export function checkNumber(
  action: string,
  field: string,
  value: unknown,
  options: { min?: number; max?: number; exclusiveMin?: boolean; integer?: boolean } = {},
): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(
      `Cannot ${action}: ${field} must be a finite number, got ${describe(value)}`,
    );
  }
  if (options.integer && !Number.isInteger(value)) {
    throw new TypeError(`Cannot ${action}: ${field} must be an integer, got ${value}`);
  }
  if (options.min !== undefined) {
    if (options.exclusiveMin ? !(value > options.min) : !(value >= options.min)) {
      const op = options.exclusiveMin ? ">" : ">=";
      throw new RangeError(`Cannot ${action}: ${field} must be ${op} ${options.min}, got ${value}`);
    }
  }
  if (options.max !== undefined && value > options.max) {
    throw new RangeError(`Cannot ${action}: ${field} must be <= ${options.max}, got ${value}`);
  }
  return value;
}

/**
 * @returns The value when it is one of `allowed`.
 * @throws {RangeError} Listing the valid values otherwise.
 */
export function checkChoice<T extends string>(
  action: string,
  field: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    throw new RangeError(
      `Cannot ${action}: ${field} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${
        describe(value)
      }`,
    );
  }
  return value as T;
}

/**
 * Checks a flat numeric array in place: its length and that every element is finite.
 * @throws {TypeError} On a wrong length, a non-number or a non-finite element, naming the index.
 */
export function checkFiniteValues(
  action: string,
  field: string,
  value: unknown,
  length: number,
): void {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    throw new TypeError(
      `Cannot ${action}: ${field} must be an array of ${length} numbers, got ${describe(value)}`,
    );
  }
  const arr = value as ArrayLike<unknown>;
  if (arr.length !== length) {
    throw new TypeError(`Cannot ${action}: ${field} must have length ${length}, got ${arr.length}`);
  }
  for (let i = 0; i < length; i++) {
    const v = arr[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new TypeError(
        `Cannot ${action}: ${field}[${i}] must be a finite number, got ${describe(v)}`,
      );
    }
  }
}

/**
 * Checks a flat numeric array ({@linkcode checkFiniteValues}) and copies it.
 * @returns A Float64Array copy.
 * @throws {TypeError} On a wrong length, a non-number or a non-finite element.
 */
export function checkFiniteArray(
  action: string,
  field: string,
  value: unknown,
  length: number,
): Float64Array {
  checkFiniteValues(action, field, value, length);
  return Float64Array.from(value as ArrayLike<number>);
}

/**
 * Copies saved values into a state array of the same length.
 * @param action What is being done, for the message (e.g. "load online learner state").
 * @param field The array's name.
 * @param to The state array.
 * @param from The saved values.
 * @throws {RangeError} When the lengths differ, naming the field.
 */
export function copyExactLength(
  action: string,
  field: string,
  to: { length: number; set(a: ArrayLike<number>): void },
  from: ArrayLike<number>,
): void {
  if (from?.length !== to.length) {
    throw new RangeError(
      `Cannot ${action}: ${field} must hold ${to.length} values, got ${from?.length}`,
    );
  }
  to.set(from);
}
