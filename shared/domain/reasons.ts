/**
 * Why a customer leaves, asked on the preference page and in the farewell: the "score" of a
 * `reason` answer is the index of its choice here (append only: stored answers keep their index).
 * No imports, so that the console shows the same words.
 */
export const REASONS = [
  { id: 'too-many', label: 'Too many emails' },
  { id: 'not-relevant', label: 'Not relevant to me' },
  { id: 'never-signed-up', label: 'I never signed up' },
  { id: 'bad-experience', label: 'A bad experience with the shop' },
  { id: 'other', label: 'Another reason' },
] as const;
