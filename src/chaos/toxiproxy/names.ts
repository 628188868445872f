import { ApiError } from './errors.ts';

/**
The longest proxy or toxic name the API accepts. A name travels in request paths
(`/proxies/{proxy}/toxics/{toxic}`); Toxiproxy sets no limit, and a name of 100 000 characters
could be created but never deleted, its path being larger than any server's header limit. 255 is
well above what meshproof's own names need (`meshproof-<run id>-<caller>__<callee>`).
*/
export const MAX_NAME_LENGTH = 255;

/**
What a name may be made of: letters, digits and `-` `_` `.` `~` `:`. All but `:` are the characters
a URL never escapes; `:` is allowed because Testcontainers names proxies `host:port`. Anything else
would have to be percent-encoded by every client, and Toxiproxy's clients do not all do it.
*/
const NAME = /^[A-Za-z0-9._~:-]+$/;

/**
Names every JavaScript object already has (`__proto__`, `constructor`, `toString`, …). A client that
keeps proxies in a plain object keyed by name (toxiproxy-node-client's getAll does) would lose the
proxy, or have its object's prototype replaced, so the engine refuses them.
*/
const OBJECT_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
Throws a 400 unless `name` can be a proxy's or a toxic's name: 1 to 255 characters of the URL-safe
set above, not `.` or `..` (a client's URL library would resolve them away), and not a name every
JavaScript object already has. Real Toxiproxy accepts any string here.
*/
export function checkName(kind: 'proxy' | 'toxic', name: string): void {
  const problem =
    name.length > MAX_NAME_LENGTH
      ? `is ${name.length} characters long; the most is ${MAX_NAME_LENGTH}`
      : !NAME.test(name)
        ? `may only contain letters, digits and - _ . ~ : (it goes into URLs)`
        : name === '.' || name === '..'
          ? 'cannot be "." or ".." (URLs resolve them away)'
          : OBJECT_KEYS.has(name)
            ? 'is a property every JavaScript object has, which clients keeping proxies in an object would lose'
            : null;
  if (problem !== null) throw new ApiError(`bad request body: ${kind} name ${quote(name)} ${problem}`, 400);
}

/** The name as an error shows it: JSON-quoted, cut to 40 characters so a huge one does not fill the answer. */
function quote(name: string): string {
  return name.length > 40 ? `${JSON.stringify(name.slice(0, 40))}…` : JSON.stringify(name);
}
