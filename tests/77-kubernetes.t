#!/bin/bash
# Kubernetes manifests (issue 12 item 8): every object in deploy/kubernetes/
# validates against the Kubernetes OpenAPI schema with the npm package
# kubernetes-models (its objects' .validate()), which also rejects a broken
# copy; the Deployment runs the image with /livez and /readyz exec probes on the
# registry's tcpport, a grace period above its shutdownTimeout, resource
# requests, and the registry from the ConfigMap, which `imageserving check`
# accepts.
. "$(dirname "$0")/lib.sh"
need node nodejs && need npm npm || skip_all "node/npm cannot be installed (apt-get install nodejs npm)"
# The validator, installed once under build/ (npm's own cache there too).
N=$ROOT/build/npm
if [ ! -d "$N/node_modules/kubernetes-models" ] || [ ! -d "$N/node_modules/js-yaml" ]; then
	mkdir -p "$N"
	echo "# installing kubernetes-models and js-yaml from npm into $N" >&2
	(cd "$N" && [ -f package.json ] || echo '{"name": "imageserving-tests", "private": true}' >"$N/package.json"
	 cd "$N" && npm install --silent --no-audit --no-fund --cache "$N/.cache" \
		kubernetes-models@4.5.1 js-yaml@4.1.0 >"$N/install.log" 2>&1) ||
		skip_all "npm install kubernetes-models failed (see $N/install.log)"
fi
plan 14

# validate.js FILE...: each YAML document becomes its kubernetes-models
# object (chosen by apiVersion and kind) and is validated against the schema.
# Prints "valid KIND NAME" or "invalid KIND NAME: why", then the facts the
# checks below need as one JSON line.
cat >"$T/validate.js" <<'EOF'
const fs = require('fs');
const yaml = require('js-yaml');
const facts = {};
for (const file of process.argv.slice(2)) {
	for (const doc of yaml.loadAll(fs.readFileSync(file, 'utf8'))) {
		if (!doc) continue;
		const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : ['', doc.apiVersion];
		const path = 'kubernetes-models/' + (group ? group + '/' : '') + version + '/' + doc.kind;
		const name = doc.kind + ' ' + (doc.metadata && doc.metadata.name);
		try {
			const Model = require(path)[doc.kind];
			new Model(doc).validate();
			console.log('valid ' + name);
		} catch (e) {
			console.log('invalid ' + name + ': ' + String(e.message).split('\n')[0]);
		}
		facts[doc.kind] = doc;
	}
}
console.log(JSON.stringify(facts));
EOF
validate() { NODE_PATH=$N/node_modules node "$T/validate.js" "$@" 2>&1; }
K=$ROOT/deploy/kubernetes
out=$(validate "$K"/*.yaml); rc=$?
is "$rc" 0 "the validator runs"
is "$(grep -c '^valid ' <<<"$out")/$(grep -c '^invalid ' <<<"$out")" "2/0" \
	"every object in deploy/kubernetes/ is valid against the Kubernetes schema: $(grep '^valid' <<<"$out" | tr '\n' ' ')"
grep '^invalid' <<<"$out" | while read -r l; do diag "$l"; done

# The validator is live: a broken copy is refused.
sed 's/terminationGracePeriodSeconds: 40/terminationGracePeriodSeconds: forty/' "$K/deployment.yaml" >"$T/broken.yaml"
like "$(validate "$T/broken.yaml")" "^invalid Deployment imageserving: .*terminationGracePeriodSeconds must be integer" \
	"a Deployment with a non-integer grace period is refused (the schema is really checked)"
sed 's/          containers:/&/; s/^        - name: imageserving$/        - nam: imageserving/' "$K/deployment.yaml" >"$T/broken2.yaml"
like "$(validate "$T/broken2.yaml")" "^invalid Deployment imageserving: .*required property .?name" \
	"a container without a name is refused"

# The facts to check, from the objects as the validator read them, in one go.
tail -n 1 <<<"$out" >"$T/facts.json"
NODE_PATH=$N/node_modules node -e '
	const f = require(process.argv[1]), d = f.Deployment, s = d.spec.template.spec, c = s.containers[0];
	const port = p => (c.ports.find(x => x.name === p || x.containerPort === p) || {}).containerPort;
	const vol = s.volumes.find(v => v.configMap);
	const out = {
		live: c.livenessProbe.exec.command.join(" "),
		ready: c.readinessProbe.exec.command.join(" "),
		grace: s.terminationGracePeriodSeconds,
		requests: c.resources.requests.cpu + " " + c.resources.requests.memory,
		cmvol: vol.configMap.name + " " + f.ConfigMap.metadata.name,
		cmmount: c.volumeMounts.find(m => m.name === vol.name).mountPath,
		run: c.volumeMounts.find(m => m.mountPath === "/run") ? "yes" : "no",
		image: c.image,
	};
	for (const k in out) console.log(k + "=" + JSON.stringify(String(out[k])));
	require("fs").writeFileSync(process.argv[2], f.ConfigMap.data["SupervisorRegistry.xml"]);
' "$T/facts.json" "$T/SupervisorRegistry.xml" >"$T/facts.sh"
. "$T/facts.sh"
# The registry of the ConfigMap, checked by the binary itself.
chk=$("$BIN" check -c "$T/SupervisorRegistry.xml" 2>&1); rc=$?
is "$rc" 0 "the ConfigMap's registry passes imageserving check"
[ "$rc" = 0 ] || diag "$chk"
port=$(sed -n 's/.*<tcpport>\([0-9]*\)<.*/\1/p' "$T/SupervisorRegistry.xml")
budget=$(sed -n 's/.*<shutdownTimeout>\([0-9]*\)<.*/\1/p' "$T/SupervisorRegistry.xml")
ok $([ "${port:-0}" -gt 0 ]; echo $?) "the registry turns the status endpoint on (tcpport $port)"
is "${live:-}" "/opt/imageserving/bin/imageserving probe /livez" "livenessProbe: /livez of the endpoint, through the binary (loopback only)"
is "${ready:-}" "/opt/imageserving/bin/imageserving probe /readyz" "readinessProbe: /readyz, the same way (76-container runs it in the image)"
ok $([ -n "$budget" ] && [ "${grace:-0}" -gt "$budget" ]; echo $?) \
	"terminationGracePeriodSeconds (${grace:-}) is above the registry's shutdownTimeout ($budget)"
is "${requests:-}" "500m 1Gi" "resource requests for cpu and memory"
is "${cmvol:-}" "imageserving-registry imageserving-registry" "the registry volume is the ConfigMap"
is "${cmmount:-}" "/opt/imageserving/conf" "mounted where the image's binary looks for its registry"
is "${run:-}" yes "a writable /run for the run directory (the root filesystem is read-only)"
like "${image:-}" "^imageserving:" "the container runs the imageserving image"
done_testing
