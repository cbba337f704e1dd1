# Records a real Codex app-server session (codex-cli 0.171.0) as JSONL capture entries, by hand, for the benchmark's
# replay: thread/start, a streamed turn against a loopback Responses API mock, a restart, thread/resume, a second turn.
import json, os, socket, subprocess, sys, threading, time, http.server, tempfile, shutil

CODEX = os.path.expanduser('~/.cache/codex-handoff-contract/codex/0.171.0/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex')
OUT = sys.argv[1]

class Mock(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers.get('content-length', 0)); self.rfile.read(n)
        self.send_response(200); self.send_header('content-type', 'text/event-stream'); self.end_headers()
        def ev(obj): self.wfile.write(('event: %s\ndata: %s\n\n' % (obj['type'], json.dumps(obj))).encode()); self.wfile.flush()
        ev({'type': 'response.created', 'response': {'id': 'resp_1'}})
        ev({'type': 'response.output_item.added', 'output_index': 0, 'item': {'type': 'message', 'id': 'msg_1', 'role': 'assistant', 'content': []}})
        words = 'The tests pass now. I updated the handler for resume and fixed a race in the thread cache, then ran the whole suite twice.'.split(' ')
        text = ''
        for w in words:
            d = w + ' '; text += d
            ev({'type': 'response.output_text.delta', 'item_id': 'msg_1', 'output_index': 0, 'content_index': 0, 'delta': d})
        ev({'type': 'response.output_item.done', 'output_index': 0, 'item': {'type': 'message', 'id': 'msg_1', 'role': 'assistant', 'content': [{'type': 'output_text', 'text': text, 'annotations': []}]}})
        ev({'type': 'response.completed', 'response': {'id': 'resp_1', 'usage': {'input_tokens': 1200, 'input_tokens_details': {'cached_tokens': 100}, 'output_tokens': 40, 'output_tokens_details': {'reasoning_tokens': 0}, 'total_tokens': 1240}}})

srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Mock)
port = srv.server_address[1]
threading.Thread(target=srv.serve_forever, daemon=True).start()
home = tempfile.mkdtemp(prefix='codex-home-', dir='/root/rec')
work = '/root/rec/work'; os.makedirs(work, exist_ok=True)
out = open(OUT, 'w')
def record(direction, msg):
    out.write(json.dumps({'ts_ms': int(time.time() * 1000), 'dir': direction, 'server_id': 'codex', 'json': msg}) + '\n'); out.flush()

def start():
    args = [CODEX, 'app-server', '-c', 'model_provider="mock"', '-c', 'model_providers.mock.name="mock"',
            '-c', 'model_providers.mock.base_url="http://127.0.0.1:%d/v1"' % port, '-c', 'model_providers.mock.wire_api="responses"',
            '-c', 'model_providers.mock.env_key="MOCK_KEY"', '-c', 'model="mock-model"']
    env = dict(os.environ, CODEX_HOME=home, MOCK_KEY='k')
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=work, env=env, text=True)

def send(p, msg):
    record('out', msg); p.stdin.write(json.dumps(msg) + '\n'); p.stdin.flush()

def until(p, pred, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line: raise SystemExit('server closed')
        msg = json.loads(line); record('in', msg)
        if pred(msg): return msg
    raise SystemExit('timeout')

def session(p, first):
    send(p, {'id': 1, 'method': 'initialize', 'params': {'clientInfo': {'name': 'rec', 'version': '1'}, 'capabilities': {'experimentalApi': True}}})
    until(p, lambda m: m.get('id') == 1)
    send(p, {'method': 'initialized'})
    if first:
        send(p, {'id': 2, 'method': 'thread/start', 'params': {}})
        r = until(p, lambda m: m.get('id') == 2)
        tid = r['result']['thread']['id']
    else:
        tid = first_tid
        send(p, {'id': 2, 'method': 'thread/resume', 'params': {'threadId': tid}})
        until(p, lambda m: m.get('id') == 2)
    send(p, {'id': 3, 'method': 'turn/start', 'params': {'threadId': tid, 'input': [{'type': 'text', 'text': 'run the tests and fix what fails'}]}})
    until(p, lambda m: m.get('method') == 'turn/completed')
    time.sleep(0.5)
    return tid

p = start(); first_tid = session(p, True); p.terminate(); p.wait()
p = start(); session(p, False); p.terminate(); p.wait()
out.close(); srv.shutdown(); shutil.rmtree(home, ignore_errors=True)
print('recorded', OUT)
