import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { bearerHeader, credentialMatcher, credentialProblem, newRunCredential, presentedBearer } from '../../src/auth/run-credential.ts';

describe('the run credential', () => {
  test('32 random bytes as base64url (43 characters), a new one each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const c = newRunCredential();
      assert.match(c, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(c, 'base64url').length, 32);
      seen.add(c);
    }
    assert.equal(seen.size, 1000);
  });

  test('only the exact credential matches: not a prefix, a longer string, another case, or nothing', () => {
    const c = newRunCredential();
    const matches = credentialMatcher(c);
    assert.equal(matches(c), true);
    assert.equal(matches(c.slice(0, -1)), false);
    assert.equal(matches(`${c}x`), false);
    assert.equal(matches(c.toUpperCase() === c ? c.toLowerCase() : c.toUpperCase()), false);
    assert.equal(matches(''), false);
    assert.equal(matches(null), false);
    assert.equal(matches(newRunCredential()), false);
  });

  test('a credential too short or with other characters is refused where it is set, saying why', () => {
    assert.match(credentialProblem('short')!, /32 to 512 characters .* got 5 characters/);
    assert.match(credentialProblem(`${'a'.repeat(40)} b`)!, /with others among them/);
    assert.equal(credentialProblem(newRunCredential()), null);
    assert.throws(() => credentialMatcher('secret'), TypeError);
  });

  test('Authorization: Bearer <token>, the scheme in any case, as RFC 6750 writes it; anything else presents nothing', () => {
    const c = newRunCredential();
    assert.deepEqual(bearerHeader(c), { authorization: `Bearer ${c}` });
    assert.equal(presentedBearer({ authorization: `Bearer ${c}` }), c);
    assert.equal(presentedBearer({ authorization: `bearer ${c}` }), c);
    assert.equal(presentedBearer({ authorization: `Basic ${c}` }), null);
    assert.equal(presentedBearer({ authorization: 'Bearer' }), null);
    assert.equal(presentedBearer({ authorization: `Bearer ${c} extra` }), null);
    assert.equal(presentedBearer({}), null);
  });
});
