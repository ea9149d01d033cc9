/** Failure places and blocked actions read from sandbox output (issue 14), on outputs as Python's runners print them. */
import { describe, expect, it } from 'vitest';
import { repositoryPathOf, sandboxEvidence } from '../../../shared/model/sandbox-evidence';

const unittestOutput = `.E.E
======================================================================
ERROR: test_reach_the_host (tests.test_environment.EnvironmentTest.test_reach_the_host)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/workspace/tests/test_environment.py", line 14, in test_reach_the_host
    sock = socket.create_connection(("169.254.169.254", 80), timeout=2)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/lib/python3.11/socket.py", line 851, in create_connection
    raise exceptions[0]
  File "/usr/lib/python3.11/socket.py", line 836, in create_connection
    sock.connect(sa)
OSError: [Errno 101] Network is unreachable

======================================================================
ERROR: test_write_outside_workspace (tests.test_environment.EnvironmentTest.test_write_outside_workspace)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/workspace/tests/test_environment.py", line 18, in test_write_outside_workspace
    with open("/usr/lib/python3/dist-packages/sitecustomize.py", "w") as handle:
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
OSError: [Errno 30] Read-only file system: '/usr/lib/python3/dist-packages/sitecustomize.py'

----------------------------------------------------------------------
Ran 4 tests in 0.012s

FAILED (errors=2)
`;

const pytestOutput = `============================= FAILURES =============================
___________________________ test_quote ____________________________

    def test_quote():
>       assert quote("2*3") == 7
E       AssertionError: assert 6 == 7

tests/test_quote.py:9: AssertionError
----------------------------- Captured stdout call -----------------------------
pricing/api.py:17: computing
=========================== short test summary info ===========================
FAILED tests/test_quote.py::test_quote - AssertionError: assert 6 == 7
`;

describe('sandboxEvidence', () => {
  const changed = ['tests/test_environment.py', 'pricing/api.py', 'tests/test_quote.py'];

  it('links each unittest traceback to the innermost frame in the proposal and names what was blocked', () => {
    const evidence = sandboxEvidence(unittestOutput, changed);
    expect(evidence.places).toEqual([
      { path: 'tests/test_environment.py', line: 14, message: 'OSError: [Errno 101] Network is unreachable', blocked: 'network call blocked: connect to 169.254.169.254:80 (Network is unreachable)' },
      {
        path: 'tests/test_environment.py',
        line: 18,
        message: "OSError: [Errno 30] Read-only file system: '/usr/lib/python3/dist-packages/sitecustomize.py'",
        blocked: 'write blocked: /usr/lib/python3/dist-packages/sitecustomize.py (Read-only file system)',
      },
    ]);
    expect(evidence.blocked).toEqual([
      'network call blocked: connect to 169.254.169.254:80 (Network is unreachable)',
      'write blocked: /usr/lib/python3/dist-packages/sitecustomize.py (Read-only file system)',
    ]);
  });

  it('reads pytest path:line reports, only for files the proposal changes', () => {
    const evidence = sandboxEvidence(pytestOutput, ['tests/test_quote.py']);
    expect(evidence.places).toEqual([{ path: 'tests/test_quote.py', line: 9, message: 'tests/test_quote.py:9: AssertionError', blocked: null }]);
    expect(evidence.blocked).toEqual([]);
  });

  it('names a blocked call outside a traceback, and finds nothing in a clean run', () => {
    expect(sandboxEvidence('curl: (6) Could not resolve host: example.com\ncurl https://example.com/x: Temporary failure in name resolution\n', []).blocked).toEqual([
      'network call blocked: connect to example.com (Temporary failure in name resolution)',
    ]);
    expect(sandboxEvidence('....\nRan 4 tests in 0.01s\n\nOK\n', changed)).toEqual({ places: [], blocked: [] });
  });

  it('maps a logged path to the longest changed path it ends with, never a mere suffix of a name', () => {
    expect(repositoryPathOf('/workspace/pricing/api.py', ['api.py', 'pricing/api.py'])).toBe('pricing/api.py');
    expect(repositoryPathOf('/workspace/pricing/myapi.py', ['api.py'])).toBeNull();
    expect(repositoryPathOf('./pricing/api.py', ['pricing/api.py'])).toBe('pricing/api.py');
  });
});
