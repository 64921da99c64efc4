/** Shared by the construct tests: run a build that must be refused, and return the one-line error. */
import { ValidationError } from '../../core/validation-error';

/** Runs `build`; returns the ValidationError it threw, after checking the message is one line. */
export function refusal(build: () => unknown): ValidationError {
  let caught: unknown;
  try {
    build();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.message).not.toMatch(/[\r\n]/);
  return error;
}
