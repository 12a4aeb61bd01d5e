// The service's rule for both path ids (its OpenAPI document carries the same pattern): 1 to 64 characters
// of letters, digits and `_ . : @ + = -`, neither `.` nor containing `..`.
const ID_PATTERN = /^(?!\.$)(?!.*\.\.)[A-Za-z0-9_.:@+=-]{1,64}$/;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export const isValidId = (id: unknown): id is string => typeof id === 'string' && ID_PATTERN.test(id);

/** The service ignores any other `x-request-id` and answers with its own, which would break correlation. */
export const isValidRequestId = (id: unknown): id is string => typeof id === 'string' && REQUEST_ID_PATTERN.test(id);
