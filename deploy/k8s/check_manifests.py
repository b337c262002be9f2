#!/usr/bin/env python3
"""Checks of deploy/k8s that a reviewer would otherwise do by hand (run by scripts/check-deploy).

  check_manifests.py invariants RENDERED.yaml...   every container of the rendered overlays: probes,
                                                   limits, non-root, read-only root, no secret value,
                                                   FARMIQ_* settings the product reads and documents,
                                                   scrape port admitted by a policy, in-cluster service
                                                   URLs naming a Service and one of its ports, plain MQTT
                                                   never exposed outside the cluster nor admitted from
                                                   anything but the edge's pods, each MQTT client admitted
                                                   to the broker port its FARMIQ_MQTT_URL names, each edge
                                                   pod admitted to the database, no PodDisruptionBudget
                                                   that blocks every drain, the media store (one replica,
                                                   Recreate, sole writer of the PVC edge-media-volume at
                                                   its FARMIQ_MEDIA_ROOT) in every cluster-mode rendering,
                                                   its upload port reachable by devices, each pod admitted
                                                   to the in-cluster services its http:// settings name,
                                                   the inference service in every cluster-mode rendering
                                                   with no more workers than its CPU limit, and every
                                                   reader of image bytes given the media store's URL
  check_manifests.py prometheusrule [--write]      monitoring/prometheusrule.yaml carries exactly the
                                                   groups of deploy/alerts/farmiq-edge.rules.yml
                                                   (--write regenerates it from that file), and every
                                                   alert has a case in farmiq-edge.rules.test.yml

Prints one line per failure ("FAIL: ...") and exits 1 if there was any; "note: ..." lines inform only.
Needs PyYAML (in the check venv).
"""
import math
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/alerts/farmiq-edge.rules.yml"
RULE_TESTS = ROOT / "deploy/alerts/farmiq-edge.rules.test.yml"
PROMETHEUS_RULE = ROOT / "deploy/k8s/monitoring/prometheusrule.yaml"
README = ROOT / "README.md"
DEPLOY_README = ROOT / "deploy/k8s/README.md"
CONTRACTS = ROOT.parent / "shared/design/contracts.md"
SOURCES = ROOT / "Sources"

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|PASSWD)$")
URL_WITH_PASSWORD = re.compile(r"://[^/@\s]*:[^/@\s]+@")
# A URL naming an in-cluster Service by its short name (no dot), e.g. http://farmiq-telemetry-timeseries:8080.
SERVICE_URL = re.compile(r"^https?://([a-z0-9][a-z0-9-]*):([0-9]+)(/|$)")
SCRAPER_NAMESPACE = {"farmiq.io/metrics-scraper": "true"}
# MQTT: the broker's plain listener (only for the edge's own pods) and the URL of an in-cluster broker.
PLAIN_MQTT_PORT = 1883
# A Service's short name, or name.namespace.svc[.cluster.local].
MQTT_URL = re.compile(r"^mqtts?://([a-z0-9][a-z0-9-]*)(?:\.[a-z0-9-]+\.svc(?:\.cluster\.local)?)?:([0-9]+)/?$")
# The farmiq-edge modes that connect to the broker (args of the container).
MQTT_CLIENT_ARGS = (["all-in-one"], ["serve", "ingress-gateway"])
# Service types reachable from outside the cluster.
EXPOSED_SERVICE_TYPES = {"LoadBalancer", "NodePort"}
# PostgreSQL's port: an in-cluster database is a Service with this port, an external one an egress rule to it.
DATABASE_PORT = 5432
# The media store (cluster mode) and the modes that serve the devices' media upload (contracts.md section 3).
MEDIA_STORE_ARGS = ["serve", "media-store"]
MEDIA_UPLOAD_ARGS = (["all-in-one"], MEDIA_STORE_ARGS)
MEDIA_VOLUME_CLAIM = "edge-media-volume"
# The inference service (cluster mode), and the modes that read image bytes from the media store in cluster mode
# (FARMIQ_MEDIA_URL; without it they look for the media volume, which only the media store mounts).
INFERENCE_ARGS = ["serve", "vision-inference"]
MEDIA_READER_ARGS = (["serve", "sync-forwarder"], INFERENCE_ARGS)

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}")


def note(message):
    print(f"note: {message}")


def pod_spec(obj):
    spec = obj.get("spec") or {}
    if obj["kind"] == "Pod":
        return spec
    if obj["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return spec["template"]["spec"]


def pod_labels(obj):
    if obj["kind"] == "Pod":
        return obj["metadata"].get("labels") or {}
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"].get("labels") or {}
    return obj["spec"]["template"]["metadata"].get("labels") or {}


def pod_annotations(obj):
    if obj["kind"] == "Pod":
        return obj["metadata"].get("annotations") or {}
    return obj["spec"]["template"]["metadata"].get("annotations") or {}


def selects(selector, labels):
    """matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist) against a label map."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def admits_scrape(policies, labels, port):
    """Whether an Ingress NetworkPolicy selecting these pod labels admits the scraper namespaces on port."""
    for policy in policies:
        spec = policy.get("spec") or {}
        if "Ingress" not in (spec.get("policyTypes") or ["Ingress"]):
            continue
        if not selects(spec.get("podSelector") or {}, labels):
            continue
        for rule in spec.get("ingress") or []:
            sources = rule.get("from") or []
            from_scraper = any(
                (source.get("namespaceSelector") or {}).get("matchLabels") == SCRAPER_NAMESPACE
                and "podSelector" not in source
                for source in sources)
            ports = rule.get("ports")
            if from_scraper and (not ports or any(str(p.get("port")) == str(port) for p in ports)):
                return True
    return False


def port_matches(rule_ports, number, name):
    """Whether a NetworkPolicy rule's ports (absent: all) include a pod port given by number and name."""
    if not rule_ports:
        return True
    return any(str(p.get("port")) in (str(number), str(name)) for p in rule_ports)


def peer_selects_pod(peers, labels):
    """Whether a rule's peers (absent or empty: everything) include a pod of the same namespace with these labels.
    Only podSelector peers count: a namespaceSelector or ipBlock peer is not taken to match the edge's pods."""
    if not peers:
        return True
    return any(set(peer) == {"podSelector"} and selects(peer["podSelector"] or {}, labels) for peer in peers)


def policy_allows(policies, direction, selected_labels, peer_labels, number, name):
    """Kubernetes semantics for one direction: allowed if no policy of that type selects the pod, otherwise if
    a rule of one of those that do admits the peer on the port."""
    field, peers_field = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [p for p in policies
                 if direction in ((p.get("spec") or {}).get("policyTypes") or ["Ingress"])
                 and selects((p.get("spec") or {}).get("podSelector") or {}, selected_labels)]
    if not selecting:
        return True
    return any(peer_selects_pod(rule.get(peers_field), peer_labels) and port_matches(rule.get("ports"), number, name)
               for policy in selecting for rule in (policy["spec"].get(field) or []))


def service_targets(service, workloads):
    """(service port, target container port number, its name, labels of the selected pods) per Service port."""
    selector = (service.get("spec") or {}).get("selector") or {}
    pods = [w for w in workloads if selector and selects({"matchLabels": selector}, pod_labels(w))]
    for port in (service.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        number, name = (int(target), None) if str(target).isdigit() else (None, target)
        labels = pod_labels(pods[0]) if pods else {}
        for pod in pods:
            for container in pod_spec(pod).get("containers") or []:
                for container_port in container.get("ports") or []:
                    if name is not None and container_port.get("name") == name:
                        number = container_port.get("containerPort")
                    elif number is not None and container_port.get("containerPort") == number:
                        name = container_port.get("name")
        yield port, number, name, labels


def check_mqtt(file, objects, policies, services, workloads):
    """Plain MQTT stays inside the cluster and admits only the edge's pods; each MQTT client reaches the broker.
    Returns the number of MQTT clients checked."""
    workloads = [w for w in workloads if w["_file"] == file]
    policies = [p for p in policies if p["_file"] == file]
    brokers = [w for w in workloads
               if any(p.get("containerPort") == PLAIN_MQTT_PORT
                      for c in pod_spec(w).get("containers") or [] for p in c.get("ports") or [])]
    # A Service reachable from outside the cluster (the devices' one) exposes no plain MQTT port.
    for (service_file, name), service in services.items():
        spec = service.get("spec") or {}
        if service_file != file or (spec.get("type") not in EXPOSED_SERVICE_TYPES and not spec.get("externalIPs")):
            continue
        for port, number, port_name, _ in service_targets(service, workloads):
            if PLAIN_MQTT_PORT in (port.get("port"), number, port.get("nodePort")):
                fail(f"{file}: Service/{name} ({spec.get('type') or 'externalIPs'}) exposes plain MQTT "
                     f"(port {port.get('port')} -> {port_name or number}) outside the cluster; devices use TLS (8883)")
    # No policy admits the broker's plain listener from anything but the namespace's pods.
    for policy in policies:
        spec = policy.get("spec") or {}
        if "Ingress" not in (spec.get("policyTypes") or ["Ingress"]):
            continue
        if not any(selects(spec.get("podSelector") or {}, pod_labels(b)) for b in brokers):
            continue
        for rule in spec.get("ingress") or []:
            if not port_matches(rule.get("ports"), PLAIN_MQTT_PORT, "mqtt"):
                continue
            peers = rule.get("from") or []
            if not peers or any(set(peer) != {"podSelector"} for peer in peers):
                fail(f"{file}: NetworkPolicy/{policy['metadata']['name']} admits the broker's plain MQTT port "
                     f"{PLAIN_MQTT_PORT} from outside the edge's pods (only podSelector peers may reach it)")
    # Each MQTT client's FARMIQ_MQTT_URL names a Service and port, and the policies admit it both ways.
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap" and o["_file"] == file}
    clients = 0
    for workload in workloads:
        for container in pod_spec(workload).get("containers") or []:
            args = container.get("args") or []
            if not any(args[:len(mode)] == list(mode) for mode in MQTT_CLIENT_ARGS):
                continue
            settings = {}
            for source in container.get("envFrom") or []:
                reference = source.get("configMapRef")
                if reference and reference["name"] in config_maps:
                    settings.update(config_maps[reference["name"]].get("data") or {})
            for env in container.get("env") or []:
                settings[env["name"]] = env.get("value")
            where = f"{file}: {workload['kind']}/{workload['metadata']['name']} container {container['name']}"
            url = settings.get("FARMIQ_MQTT_URL")
            match = MQTT_URL.match(str(url or ""))
            if not match:
                note(f"{where}: FARMIQ_MQTT_URL={url} names no in-cluster Service (a broker outside the cluster)")
                continue
            clients += 1
            host, port_number = match.group(1), int(match.group(2))
            service = services.get((file, host))
            if service is None:
                fail(f"{where}: FARMIQ_MQTT_URL={url} names no Service of the manifests")
                continue
            targets = [t for t in service_targets(service, workloads) if t[0].get("port") == port_number]
            if not targets:
                fail(f"{where}: FARMIQ_MQTT_URL={url}: Service {host} has no port {port_number}")
                continue
            _, number, name, broker_labels = targets[0]
            labels = pod_labels(workload)
            if not policy_allows(policies, "Ingress", broker_labels, labels, number, name):
                fail(f"{where}: no NetworkPolicy admits it to the broker's port {number} (FARMIQ_MQTT_URL={url})")
            if not policy_allows(policies, "Egress", labels, broker_labels, number, name):
                fail(f"{where}: no NetworkPolicy lets it reach the broker's port {number} (FARMIQ_MQTT_URL={url})")
    return clients


def runs(container, modes):
    """Whether a container's args start with one of these farmiq-edge modes."""
    args = container.get("args") or []
    return any(args[:len(mode)] == list(mode) for mode in modes)


def container_env(container, config_maps):
    """The settings a container gets: its envFrom ConfigMaps (those of the rendering), then its literal env values."""
    settings = {}
    for source in container.get("envFrom") or []:
        reference = source.get("configMapRef")
        if reference and reference["name"] in config_maps:
            settings.update(config_maps[reference["name"]].get("data") or {})
    for env in container.get("env") or []:
        if "value" in env:
            settings[env["name"]] = env["value"]
    return settings


def allows_port(policies, direction, labels, number, name, peer=lambda peers: True):
    """Whether traffic of one direction on a port of the pods with these labels is allowed: no policy of that type
    selects them, or a rule of one that does has the port and a peer list `peer` accepts (absent: everything)."""
    field, peers_field = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [p for p in policies
                 if direction in ((p.get("spec") or {}).get("policyTypes") or ["Ingress"])
                 and selects((p.get("spec") or {}).get("podSelector") or {}, labels)]
    if not selecting:
        return True
    return any(port_matches(rule.get("ports"), number, name) and peer(rule.get(peers_field) or [])
               for policy in selecting for rule in (policy["spec"].get(field) or []))


def from_outside(peers):
    """A rule's peers that include addresses outside the cluster (devices): none given (everything), or an ipBlock."""
    return not peers or any("ipBlock" in peer for peer in peers)


def check_database_paths(file, policies, services, workloads):
    """Every pod that reads FARMIQ_DATABASE_URL from a Secret may reach the database: the in-cluster one (a Service on
    DATABASE_PORT) in both directions, else an external one (an egress rule on DATABASE_PORT)."""
    workloads = [w for w in workloads if w["_file"] == file]
    policies = [p for p in policies if p["_file"] == file]
    databases = [t for (service_file, _), service in services.items() if service_file == file
                 for t in service_targets(service, workloads) if t[0].get("port") == DATABASE_PORT]
    for workload in workloads:
        spec = pod_spec(workload)
        if not any(env["name"] == "FARMIQ_DATABASE_URL" and (env.get("valueFrom") or {}).get("secretKeyRef")
                   for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
                   for env in c.get("env") or []):
            continue
        labels, where = pod_labels(workload), f"{file}: {workload['kind']}/{workload['metadata']['name']}"
        if databases:
            for _, number, name, database_labels in databases:
                if not policy_allows(policies, "Egress", labels, database_labels, number, name):
                    fail(f"{where}: no NetworkPolicy lets it reach the database's port {number}")
                if not policy_allows(policies, "Ingress", database_labels, labels, number, name):
                    fail(f"{where}: no NetworkPolicy admits it to the database's port {number}")
        elif not allows_port(policies, "Egress", labels, DATABASE_PORT, None):
            fail(f"{where}: no NetworkPolicy lets it reach an external database on port {DATABASE_PORT}")


def check_disruption_budgets(file, pdbs, workloads):
    """No PodDisruptionBudget allows zero disruptions of what it selects: that blocks every node drain."""
    for pdb in (p for p in pdbs if p["_file"] == file):
        spec = pdb.get("spec") or {}
        selected = [w for w in workloads if w["_file"] == file and selects(spec.get("selector") or {}, pod_labels(w))]
        replicas = sum((w.get("spec") or {}).get("replicas", 1) for w in selected)
        minimum, maximum = spec.get("minAvailable"), spec.get("maxUnavailable")
        blocks = (str(maximum) in ("0", "0%") or str(minimum) == "100%"
                  or (isinstance(minimum, int) and minimum >= replicas))
        if selected and blocks:
            fail(f"{file}: PodDisruptionBudget/{pdb['metadata']['name']} allows no disruption of its {replicas} "
                 f"replica(s) ({', '.join(w['metadata']['name'] for w in selected)}): it blocks every drain")


def check_media(file, objects, policies, services, workloads):
    """The media store: in every cluster-mode rendering, one replica, Recreate, the sole writer of the PVC
    edge-media-volume mounted at its FARMIQ_MEDIA_ROOT, writable by its group; the media upload port (media store or
    all-in-one) reachable by devices through a Service outside the cluster and a policy admitting them.
    Returns the number of media stores checked."""
    workloads = [w for w in workloads if w["_file"] == file]
    policies = [p for p in policies if p["_file"] == file]
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap" and o["_file"] == file}
    claims = {o["metadata"]["name"]: o for o in objects if o["kind"] == "PersistentVolumeClaim" and o["_file"] == file}
    stores = [w for w in workloads if any(runs(c, [MEDIA_STORE_ARGS]) for c in pod_spec(w).get("containers") or [])]
    cluster_mode = any((c.get("args") or [])[:1] == ["serve"] for w in workloads for c in pod_spec(w).get("containers") or [])
    if cluster_mode and not stores:
        fail(f"{file}: cluster mode (farmiq-edge serve …) without a media store (serve media-store)")
    if len(stores) > 1:
        fail(f"{file}: {len(stores)} media store workloads; the media volume has one writer")
    for store in stores:
        where = f"{file}: {store['kind']}/{store['metadata']['name']}"
        spec = store.get("spec") or {}
        if store["kind"] != "Deployment":
            fail(f"{where}: the media store is a Deployment (one replica, Recreate), not a {store['kind']}")
        if spec.get("replicas", 1) != 1:
            fail(f"{where}: {spec.get('replicas')} replicas; the media store must run as exactly one "
                 f"(ReadWriteOnce volume, in-process lock per upload key)")
        if (spec.get("strategy") or {}).get("type") != "Recreate":
            fail(f"{where}: strategy is not Recreate (the old pod must be gone before the new one writes the volume)")
        pod = pod_spec(store)
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        media_volumes = {name for name, v in volumes.items()
                         if (v.get("persistentVolumeClaim") or {}).get("claimName") == MEDIA_VOLUME_CLAIM}
        if not media_volumes:
            fail(f"{where}: does not mount the PVC {MEDIA_VOLUME_CLAIM}")
        elif MEDIA_VOLUME_CLAIM not in claims:
            fail(f"{where}: mounts the PVC {MEDIA_VOLUME_CLAIM}, which is not in the manifests")
        elif "ReadWriteOnce" not in ((claims[MEDIA_VOLUME_CLAIM].get("spec") or {}).get("accessModes") or []):
            fail(f"{file}: PersistentVolumeClaim/{MEDIA_VOLUME_CLAIM} is not ReadWriteOnce")
        pod_security = pod.get("securityContext") or {}
        for container in pod.get("containers") or []:
            if not runs(container, [MEDIA_STORE_ARGS]):
                continue
            root = container_env(container, config_maps).get("FARMIQ_MEDIA_ROOT")
            mounts = [m for m in container.get("volumeMounts") or [] if m["name"] in media_volumes]
            if media_volumes and not any(m["mountPath"].rstrip("/") == str(root).rstrip("/") and not m.get("readOnly")
                                         for m in mounts):
                fail(f"{where} container {container['name']}: FARMIQ_MEDIA_ROOT={root} is not where it mounts "
                     f"{MEDIA_VOLUME_CLAIM} read-write")
            group = (container.get("securityContext") or {}).get("runAsGroup", pod_security.get("runAsGroup"))
            if pod_security.get("fsGroup") is None or pod_security.get("fsGroup") != group:
                fail(f"{where}: fsGroup {pod_security.get('fsGroup')} is not the group it runs as ({group}): "
                     f"the media volume would not be writable")
    # The media store is the volume's one writer: any other pod mounts it read-only.
    for workload in workloads:
        if workload in stores:
            continue
        pod = pod_spec(workload)
        for volume in pod.get("volumes") or []:
            claim = volume.get("persistentVolumeClaim") or {}
            if claim.get("claimName") != MEDIA_VOLUME_CLAIM or claim.get("readOnly"):
                continue
            if any(m["name"] == volume["name"] and not m.get("readOnly")
                   for c in (pod.get("containers") or []) + (pod.get("initContainers") or [])
                   for m in c.get("volumeMounts") or []):
                fail(f"{file}: {workload['kind']}/{workload['metadata']['name']} mounts {MEDIA_VOLUME_CLAIM} "
                     f"read-write; the media store is its only writer")
    # Devices reach the media upload: an exposed Service on its HTTP port, and a policy admitting them.
    for workload in workloads:
        containers = [c for c in pod_spec(workload).get("containers") or [] if runs(c, MEDIA_UPLOAD_ARGS)]
        if not containers:
            continue
        where = f"{file}: {workload['kind']}/{workload['metadata']['name']}"
        labels = pod_labels(workload)
        exposed = []
        for (service_file, service_name), service in services.items():
            spec = service.get("spec") or {}
            if service_file != file or (spec.get("type") not in EXPOSED_SERVICE_TYPES and not spec.get("externalIPs")):
                continue
            if not spec.get("selector") or not selects({"matchLabels": spec["selector"]}, labels):
                continue
            exposed += [(service_name, port, number, name)
                        for port, number, name, _ in service_targets(service, [workload]) if name == "http"]
        if not exposed:
            fail(f"{where}: serves the devices' media upload but no Service reachable from outside the cluster "
                 f"(LoadBalancer, NodePort) targets its http port")
        for service_name, port, number, name in exposed:
            if not allows_port(policies, "Ingress", labels, number, name, peer=from_outside):
                fail(f"{where}: no NetworkPolicy admits devices (from outside the cluster) to its port {number} "
                     f"(Service {service_name} port {port.get('port')})")
    return len(stores)


def check_service_paths(file, policies, services, workloads):
    """Every http://name:port setting a container is given (its env values: FARMIQ_TELEMETRY_URL, FARMIQ_SESSION_URL,
    FARMIQ_MEDIA_URL) that names a Service of the rendering and one of its ports: the network policies let the pod
    reach the port the Service targets, and admit the pod there. (The ConfigMap every edge container reads is left
    out: a URL there reaches pods that do not use it.) Returns the number of paths checked."""
    workloads = [w for w in workloads if w["_file"] == file]
    policies = [p for p in policies if p["_file"] == file]
    paths = 0
    for workload in workloads:
        labels = pod_labels(workload)
        for container in pod_spec(workload).get("containers") or []:
            where = f"{file}: {workload['kind']}/{workload['metadata']['name']} container {container['name']}"
            for env in container.get("env") or []:
                setting, value = env["name"], str(env.get("value", ""))
                match = SERVICE_URL.match(value)
                service = services.get((file, match.group(1))) if match else None
                if service is None:
                    continue  # not an in-cluster URL, or no such Service (invariants() reports that)
                targets = [t for t in service_targets(service, workloads) if t[0].get("port") == int(match.group(2))]
                if not targets:
                    continue  # no such port (invariants() reports that)
                paths += 1
                host, (_, number, name, target_labels) = match.group(1), targets[0]
                if not policy_allows(policies, "Egress", labels, target_labels, number, name):
                    fail(f"{where}: no NetworkPolicy lets it reach {host}'s port {number} ({setting}={value})")
                if not policy_allows(policies, "Ingress", target_labels, labels, number, name):
                    fail(f"{where}: no NetworkPolicy admits it to {host}'s port {number} ({setting}={value})")
    return paths


def cpu_cores(quantity):
    """A CPU quantity ("1", "1.5", "500m") in cores, or None if it is not one."""
    text = str(quantity)
    try:
        return int(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def check_inference(file, objects, services, workloads):
    """The inference service in every cluster-mode rendering, with FARMIQ_INFERENCE_WORKERS set within its CPU limit
    (the default, one worker per core the process sees, can be the node's cores); every container that reads image
    bytes in cluster mode (inference, sync forwarder) has FARMIQ_MEDIA_URL naming the media store's Service, unless
    it mounts the media volume. Returns the number of inference services checked."""
    workloads = [w for w in workloads if w["_file"] == file]
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap" and o["_file"] == file}
    cluster_mode = any((c.get("args") or [])[:1] == ["serve"] for w in workloads for c in pod_spec(w).get("containers") or [])
    inference = [w for w in workloads if any(runs(c, [INFERENCE_ARGS]) for c in pod_spec(w).get("containers") or [])]
    if cluster_mode and not inference:
        fail(f"{file}: cluster mode (farmiq-edge serve …) without the inference service (serve vision-inference): "
             f"the media store's jobs would never be analysed")
    stores = [w for w in workloads if any(runs(c, [MEDIA_STORE_ARGS]) for c in pod_spec(w).get("containers") or [])]
    for workload in workloads:
        pod = pod_spec(workload)
        media_volumes = {v["name"] for v in pod.get("volumes") or []
                         if (v.get("persistentVolumeClaim") or {}).get("claimName") == MEDIA_VOLUME_CLAIM}
        for container in pod.get("containers") or []:
            where = f"{file}: {workload['kind']}/{workload['metadata']['name']} container {container['name']}"
            settings = container_env(container, config_maps)
            if runs(container, [INFERENCE_ARGS]):
                workers = str(settings.get("FARMIQ_INFERENCE_WORKERS", ""))
                limit = cpu_cores(((container.get("resources") or {}).get("limits") or {}).get("cpu", ""))
                if not workers:
                    fail(f"{where}: FARMIQ_INFERENCE_WORKERS is not set; the default (one per core the process sees, "
                         f"possibly the node's) can exceed its CPU limit")
                elif not workers.isdigit() or not 1 <= int(workers) <= 64:
                    fail(f"{where}: FARMIQ_INFERENCE_WORKERS={workers} is not a number of workers from 1 to 64")
                elif limit is not None and int(workers) > max(1, math.ceil(limit)):
                    fail(f"{where}: FARMIQ_INFERENCE_WORKERS={workers} is more workers than its CPU limit "
                         f"({limit:g}) runs at once; raise the limit with them")
            if not runs(container, MEDIA_READER_ARGS):
                continue
            if any(m["name"] in media_volumes for m in container.get("volumeMounts") or []):
                continue  # reads the media volume itself
            url = settings.get("FARMIQ_MEDIA_URL")
            match = SERVICE_URL.match(str(url or ""))
            service = services.get((file, match.group(1))) if match else None
            selector = ((service or {}).get("spec") or {}).get("selector") or {}
            literal = any(env["name"] == "FARMIQ_MEDIA_URL" and "value" in env for env in container.get("env") or [])
            if not url:
                fail(f"{where}: reads image bytes but has no FARMIQ_MEDIA_URL (the media store's Service) and does "
                     f"not mount {MEDIA_VOLUME_CLAIM}")
            elif not match:
                note(f"{where}: FARMIQ_MEDIA_URL={url} names no Service by its short name (not checked)")
            elif service is None:
                if not literal:  # a literal env value is reported by invariants() already
                    fail(f"{where}: FARMIQ_MEDIA_URL={url} (from its ConfigMap) names no Service of the manifests")
            elif not any(selector and selects({"matchLabels": selector}, pod_labels(s)) for s in stores):
                fail(f"{where}: FARMIQ_MEDIA_URL={url} names Service {match.group(1)}, which selects no media store")
    return len(inference)


def contract_settings():
    """FARMIQ_* names in the configuration table of contracts.md section 7 (empty if the file is absent)."""
    if not CONTRACTS.exists():
        note(f"{CONTRACTS} not found: settings are checked against README.md and Sources/ only")
        return set()
    text = CONTRACTS.read_text()
    section = text.split("## 7.", 1)[1] if "## 7." in text else ""
    return set(re.findall(r"FARMIQ_[A-Z0-9_]+", section))


def read_by_product():
    """FARMIQ_* names that appear as string literals in Sources/ (ConfigurationKey and a few direct reads)."""
    names = set()
    for path in SOURCES.rglob("*.swift"):
        names.update(re.findall(r'"(FARMIQ_[A-Z0-9_]+)"', path.read_text()))
    return names


def check_container(where, container, pod_security, init):
    name = f"{where} container {container['name']}"
    if not init:
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in container:
                fail(f"{name}: no {probe}")
    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(kind) or {}):
                fail(f"{name}: no {kind}.{resource}")
    security = container.get("securityContext") or {}
    if not (security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is True):
        fail(f"{name}: runAsNonRoot is not true")
    if security.get("runAsUser", pod_security.get("runAsUser")) == 0:
        fail(f"{name}: runs as uid 0")
    if security.get("readOnlyRootFilesystem") is not True:
        fail(f"{name}: readOnlyRootFilesystem is not true")
    if security.get("allowPrivilegeEscalation") is not False:
        fail(f"{name}: allowPrivilegeEscalation is not false")
    if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
        fail(f"{name}: capabilities do not drop ALL")
    if (security.get("capabilities") or {}).get("add"):
        fail(f"{name}: adds capabilities")
    seccomp = (security.get("seccompProfile") or pod_security.get("seccompProfile") or {}).get("type")
    if seccomp != "RuntimeDefault":
        fail(f"{name}: seccompProfile is not RuntimeDefault")
    image = container.get("image", "")
    if ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
        fail(f"{name}: image {image!r} has no tag")
    elif image.endswith(":latest"):
        fail(f"{name}: image {image!r} uses latest")


def invariants(paths):
    objects = []
    for path in paths:
        with open(path) as handle:
            for document in yaml.safe_load_all(handle):
                if document:
                    document["_file"] = pathlib.Path(path).name
                    objects.append(document)
    config_maps = {(o["_file"], o["metadata"]["name"]): o for o in objects if o["kind"] == "ConfigMap"}
    pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    services = {(o["_file"], o["metadata"]["name"]): o for o in objects if o["kind"] == "Service"}
    product_reads = read_by_product()
    contract = contract_settings()
    readme = README.read_text() if README.exists() else ""
    deploy_readme = DEPLOY_README.read_text() if DEPLOY_README.exists() else ""
    settings = {}
    secrets = set()

    for obj in objects:
        kind, name, file = obj["kind"], obj["metadata"]["name"], obj["_file"]
        where = f"{file}: {kind}/{name}"
        if kind == "Secret":
            fail(f"{where}: a Secret in the manifests; secrets are created on the cluster (deploy/k8s/README.md)")
        if kind == "ConfigMap":
            for key, value in (obj.get("data") or {}).items():
                if SECRET_NAME.search(key) or URL_WITH_PASSWORD.search(str(value)):
                    fail(f"{where}: key {key} looks like a secret value")
        if kind not in WORKLOADS:
            continue
        spec = pod_spec(obj)
        pod_security = spec.get("securityContext") or {}
        containers = spec.get("containers") or []
        init_containers = spec.get("initContainers") or []
        for container in containers:
            check_container(where, container, pod_security, init=False)
        for container in init_containers:
            check_container(where, container, pod_security, init=True)
        if spec.get("automountServiceAccountToken") is not False:
            fail(f"{where}: automountServiceAccountToken is not false")
        runs_edge = any("farmiq-edge" in c.get("image", "") for c in containers)
        if runs_edge:
            if int(spec.get("terminationGracePeriodSeconds", 30)) < 30:
                fail(f"{where}: terminationGracePeriodSeconds below 30 s (a batch commit and drain)")
            annotations = pod_annotations(obj)
            if annotations.get("prometheus.io/scrape") != "true" or not annotations.get("prometheus.io/port"):
                fail(f"{where}: no prometheus.io/scrape and prometheus.io/port annotations")
            elif not admits_scrape([p for p in policies if p["_file"] == file], pod_labels(obj),
                                   annotations["prometheus.io/port"]):
                fail(f"{where}: no NetworkPolicy admits scrapes (namespaces labelled farmiq.io/metrics-scraper=true) "
                     f"on its prometheus.io/port {annotations['prometheus.io/port']}")
        replicas = (obj.get("spec") or {}).get("replicas", 1)
        if kind in ("Deployment", "StatefulSet") and replicas >= 2:
            labels = pod_labels(obj)
            if not any(selects(p["spec"].get("selector") or {}, labels) for p in pdbs if p["_file"] == file):
                fail(f"{where}: {replicas} replicas and no PodDisruptionBudget")

        for container in containers + init_containers:
            cname = f"{where} container {container['name']}"
            for env in container.get("env") or []:
                env_name = env["name"]
                if env_name.startswith("FARMIQ_"):
                    settings.setdefault(env_name, set()).add(file)
                if "value" in env:
                    value = str(env["value"])
                    if SECRET_NAME.search(env_name):
                        fail(f"{cname}: {env_name} has a literal value; use valueFrom.secretKeyRef")
                    elif URL_WITH_PASSWORD.search(value):
                        fail(f"{cname}: {env_name} holds a URL with a password; use valueFrom.secretKeyRef")
                    service_url = SERVICE_URL.match(value)
                    if service_url:
                        host, port = service_url.group(1), int(service_url.group(2))
                        service = services.get((file, host))
                        if service is None:
                            fail(f"{cname}: {env_name}={value} names no Service of the manifests")
                        elif port not in [p.get("port") for p in (service.get("spec") or {}).get("ports") or []]:
                            fail(f"{cname}: {env_name}={value}: Service {host} has no port {port}")
                reference = (env.get("valueFrom") or {}).get("secretKeyRef")
                if reference:
                    secrets.add((reference["name"], reference["key"]))
                elif SECRET_NAME.search(env_name) and "value" not in env:
                    fail(f"{cname}: {env_name} does not come from a secretKeyRef")
            for source in container.get("envFrom") or []:
                if "secretRef" in source:
                    secrets.add((source["secretRef"]["name"], "*"))
                reference = source.get("configMapRef")
                if not reference:
                    continue
                config_map = config_maps.get((file, reference["name"]))
                if config_map is None:
                    fail(f"{cname}: envFrom ConfigMap {reference['name']} is not in the manifests")
                    continue
                for key in config_map.get("data") or {}:
                    if key.startswith("FARMIQ_"):
                        settings.setdefault(key, set()).add(file)
        for volume in spec.get("volumes") or []:
            if "secret" in volume:
                items = volume["secret"].get("items") or [{"key": "*"}]
                for item in items:
                    secrets.add((volume["secret"]["secretName"], item["key"]))

    workloads = [o for o in objects if o["kind"] in WORKLOADS]
    files = sorted({o["_file"] for o in objects})
    mqtt_clients = sum(check_mqtt(file, objects, policies, services, workloads) for file in files)
    media_stores = sum(check_media(file, objects, policies, services, workloads) for file in files)
    inference_services = sum(check_inference(file, objects, services, workloads) for file in files)
    service_paths = sum(check_service_paths(file, policies, services, workloads) for file in files)
    for file in files:
        check_database_paths(file, policies, services, workloads)
        check_disruption_budgets(file, pdbs, workloads)

    # Settings: the product must read them, and the README must document them.
    only_in_contract_docs = []
    for setting in sorted(settings):
        files = ", ".join(sorted(settings[setting]))
        if setting not in product_reads:
            # The contract may be absent on a clean clone; the README then says the setting is not built yet.
            if setting in contract or re.search(rf"\b{setting}\b", readme):
                note(f"{setting} ({files}): in contracts.md section 7 / the README but not read by Sources/ yet")
            else:
                fail(f"{setting} ({files}): not a setting farmiq-edge reads (not in Sources/, the README nor contracts.md section 7)")
        if not re.search(rf"\b{setting}\b", readme):
            if setting in contract:
                only_in_contract_docs.append(setting)
            else:
                fail(f"{setting} ({files}): not documented in README.md")
    if only_in_contract_docs:
        note("not named in README.md, documented by its reference to contracts.md section 7: "
             + ", ".join(only_in_contract_docs))
    # Every Secret the manifests use is one the cluster guide tells how to create.
    for secret, key in sorted(secrets):
        if secret not in deploy_readme:
            fail(f"Secret {secret} (key {key}) is used but deploy/k8s/README.md does not say how to create it")
    print(f"invariants: {len(objects)} objects, {len(settings)} FARMIQ_* settings, "
          f"{len({s for s, _ in secrets})} secrets referenced, {mqtt_clients} MQTT clients admitted to the broker, "
          f"{media_stores} media stores, {inference_services} inference services, "
          f"{service_paths} in-cluster service paths admitted")


def prometheus_rule_document():
    rules = yaml.safe_load(RULES.read_text())
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "farmiq-edge"},
        "spec": {"groups": rules["groups"]},
    }


def prometheusrule(write):
    expected = prometheus_rule_document()
    if write:
        header = ("# GENERATED from deploy/alerts/farmiq-edge.rules.yml (the single source of the alert rules) by\n"
                  "#   deploy/k8s/check_manifests.py prometheusrule --write\n"
                  "# Do not edit: scripts/check-deploy fails when this differs from the rules file.\n")
        PROMETHEUS_RULE.write_text(header + yaml.safe_dump(expected, sort_keys=False, width=200, allow_unicode=True))
        print(f"wrote {PROMETHEUS_RULE.relative_to(ROOT)}")
        return
    tests = yaml.safe_load(RULE_TESTS.read_text()) if RULE_TESTS.exists() else {}
    tested = {case.get("alertname") for test in tests.get("tests") or [] for case in test.get("alert_rule_test") or []}
    for group in expected["spec"]["groups"]:
        for rule in group.get("rules") or []:
            if "alert" in rule and rule["alert"] not in tested:
                fail(f"alert {rule['alert']} has no case in {RULE_TESTS.relative_to(ROOT)}")
    if not PROMETHEUS_RULE.exists():
        fail(f"{PROMETHEUS_RULE.relative_to(ROOT)} is missing (deploy/k8s/check_manifests.py prometheusrule --write)")
        return
    actual = yaml.safe_load(PROMETHEUS_RULE.read_text())
    if actual.get("kind") != "PrometheusRule" or (actual.get("spec") or {}).get("groups") != expected["spec"]["groups"]:
        fail(f"{PROMETHEUS_RULE.relative_to(ROOT)} differs from deploy/alerts/farmiq-edge.rules.yml: "
             "run deploy/k8s/check_manifests.py prometheusrule --write")


def main(argv):
    if len(argv) >= 1 and argv[0] == "invariants" and len(argv) > 1:
        invariants(argv[1:])
    elif argv[:1] == ["prometheusrule"] and argv[1:] in ([], ["--write"]):
        prometheusrule(write=argv[1:] == ["--write"])
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
