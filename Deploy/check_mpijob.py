#!/usr/bin/env python3
"""Structural check of MPI Operator jobs (kind MPIJob, apiVersion kubeflow.org/v2beta1),
which kubernetes-validate cannot check: it has no schema for this custom resource. Checks
what the operator needs to start the job and what HDRec needs of it: a launcher of exactly
one replica and workers, containers with an image and a command, slotsPerWorker, Open MPI
(hdrec binds Open MPI's ABI, Sources/Distributed/OpenMPILibrary.swift), a run policy the
operator knows, one image for launcher and workers, and mpirun -np equal to the slots.

    check_mpijob.py FILE...            check every MPIJob document in the files
    check_mpijob.py --self-test FILE   FILE must pass, and each known breakage of it must fail
"""
import copy
import re
import sys

import yaml

SPEC_KEYS = {"slotsPerWorker", "runPolicy", "mpiReplicaSpecs", "sshAuthMountPath",
             "launcherCreationPolicy", "mpiImplementation", "runLauncherAsWorker"}
RUN_POLICY_KEYS = {"cleanPodPolicy", "ttlSecondsAfterFinished", "activeDeadlineSeconds",
                   "backoffLimit", "schedulingPolicy", "suspend", "managedBy"}
REPLICA_KEYS = {"replicas", "template", "restartPolicy"}
CLEAN_POD_POLICIES = {"None", "Running", "All"}
RESTART_POLICIES = {"Always", "OnFailure", "Never", "ExitCode"}
LAUNCHER_POLICIES = {"AtStartup", "WaitForWorkersReady"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def is_count(value, minimum):
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def check_job(job):
    """Problems with one MPIJob, each as 'field.path: what is wrong'."""
    errors = []
    if job.get("apiVersion") != "kubeflow.org/v2beta1":
        errors.append(f"apiVersion: must be kubeflow.org/v2beta1, found {job.get('apiVersion')!r}")
    if job.get("kind") != "MPIJob":
        errors.append(f"kind: must be MPIJob, found {job.get('kind')!r}")
    name = (job.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not DNS_LABEL.match(name):
        errors.append(f"metadata.name: must be a DNS label, found {name!r}")
    spec = job.get("spec")
    if not isinstance(spec, dict):
        return errors + ["spec: missing"]
    for key in sorted(set(spec) - SPEC_KEYS):
        errors.append(f"spec.{key}: unknown field (known: {', '.join(sorted(SPEC_KEYS))})")
    slots = spec.get("slotsPerWorker")
    if not is_count(slots, 1):
        errors.append(f"spec.slotsPerWorker: must be a positive integer, found {slots!r}")
    if spec.get("mpiImplementation", "OpenMPI") != "OpenMPI":
        errors.append(f"spec.mpiImplementation: hdrec loads Open MPI, found {spec['mpiImplementation']!r}")
    if "launcherCreationPolicy" in spec and spec["launcherCreationPolicy"] not in LAUNCHER_POLICIES:
        errors.append(f"spec.launcherCreationPolicy: one of {sorted(LAUNCHER_POLICIES)}, "
                      f"found {spec['launcherCreationPolicy']!r}")
    if "sshAuthMountPath" in spec and not str(spec["sshAuthMountPath"]).startswith("/"):
        errors.append(f"spec.sshAuthMountPath: must be absolute, found {spec['sshAuthMountPath']!r}")
    errors += check_run_policy(spec.get("runPolicy"))
    replica_specs = spec.get("mpiReplicaSpecs")
    if not isinstance(replica_specs, dict):
        return errors + ["spec.mpiReplicaSpecs: missing"]
    for key in sorted(set(replica_specs) - {"Launcher", "Worker"}):
        errors.append(f"spec.mpiReplicaSpecs.{key}: unknown replica type (Launcher, Worker)")
    images = {}
    for role in ("Launcher", "Worker"):
        path = f"spec.mpiReplicaSpecs.{role}"
        replica = replica_specs.get(role)
        if not isinstance(replica, dict):
            errors.append(f"{path}: missing")
            continue
        for key in sorted(set(replica) - REPLICA_KEYS):
            errors.append(f"{path}.{key}: unknown field")
        replicas = replica.get("replicas")
        if role == "Launcher" and replicas != 1:
            errors.append(f"{path}.replicas: must be 1, found {replicas!r}")
        if role == "Worker" and not is_count(replicas, 1):
            errors.append(f"{path}.replicas: must be a positive integer, found {replicas!r}")
        if "restartPolicy" in replica and replica["restartPolicy"] not in RESTART_POLICIES:
            errors.append(f"{path}.restartPolicy: one of {sorted(RESTART_POLICIES)}, found {replica['restartPolicy']!r}")
        containers = (((replica.get("template") or {}).get("spec")) or {}).get("containers")
        if not isinstance(containers, list) or not containers:
            errors.append(f"{path}.template.spec.containers: must list at least one container")
            continue
        for i, container in enumerate(containers):
            cpath = f"{path}.template.spec.containers[{i}]"
            if not container.get("name"):
                errors.append(f"{cpath}.name: missing")
            if not container.get("image"):
                errors.append(f"{cpath}.image: missing")
            command = container.get("command")
            if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
                errors.append(f"{cpath}.command: must be a non-empty list of strings")
        images[role] = containers[0].get("image")
    if len(images) == 2 and images["Launcher"] != images["Worker"]:
        errors.append(f"spec.mpiReplicaSpecs: launcher image {images['Launcher']!r} and worker image "
                      f"{images['Worker']!r} differ (every rank must run the same hdrec)")
    errors += check_process_count(spec, replica_specs)
    return errors


def check_run_policy(policy):
    if policy is None:
        return []
    if not isinstance(policy, dict):
        return [f"spec.runPolicy: must be a mapping, found {policy!r}"]
    errors = [f"spec.runPolicy.{key}: unknown field" for key in sorted(set(policy) - RUN_POLICY_KEYS)]
    if "cleanPodPolicy" in policy and policy["cleanPodPolicy"] not in CLEAN_POD_POLICIES:
        errors.append(f"spec.runPolicy.cleanPodPolicy: one of {sorted(CLEAN_POD_POLICIES)}, found {policy['cleanPodPolicy']!r}")
    for key in ("backoffLimit", "ttlSecondsAfterFinished"):
        if key in policy and not is_count(policy[key], 0):
            errors.append(f"spec.runPolicy.{key}: must be a non-negative integer, found {policy[key]!r}")
    if "activeDeadlineSeconds" in policy and not is_count(policy["activeDeadlineSeconds"], 1):
        errors.append(f"spec.runPolicy.activeDeadlineSeconds: must be a positive integer, found {policy['activeDeadlineSeconds']!r}")
    return errors


def check_process_count(spec, replica_specs):
    """mpirun's -np/-n, when given, must equal Worker replicas x slotsPerWorker."""
    try:
        command = replica_specs["Launcher"]["template"]["spec"]["containers"][0]["command"]
        workers, slots = replica_specs["Worker"]["replicas"], spec["slotsPerWorker"]
    except (KeyError, IndexError, TypeError):
        return []
    if not isinstance(command, list) or not command or command[0] not in ("mpirun", "mpiexec"):
        return [f"spec.mpiReplicaSpecs.Launcher.template.spec.containers[0].command: must start with mpirun, found {command!r}"]
    for flag, value in zip(command, command[1:]):
        if flag in ("-np", "-n", "--np") and str(value) != str(workers * slots):
            return [f"spec.mpiReplicaSpecs.Launcher: mpirun {flag} {value} but Worker replicas x slotsPerWorker "
                    f"= {workers} x {slots} = {workers * slots}"]
    return []


def check_files(paths):
    errors, jobs = [], 0
    for path in paths:
        with open(path) as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
        for doc in documents:
            if doc.get("kind") == "MPIJob" or str(doc.get("apiVersion", "")).startswith("kubeflow.org/"):
                jobs += 1
                errors += [f"{path}: {e}" for e in check_job(doc)]
    if jobs == 0:
        errors.append(f"{', '.join(paths)}: no MPIJob found")
    return errors


# Breakages of a good manifest and the text the error must contain.
def _breakages():
    def remove_worker(j): del j["spec"]["mpiReplicaSpecs"]["Worker"]
    def two_launchers(j): j["spec"]["mpiReplicaSpecs"]["Launcher"]["replicas"] = 2
    def no_image(j): del j["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["image"]
    def no_command(j): del j["spec"]["mpiReplicaSpecs"]["Launcher"]["template"]["spec"]["containers"][0]["command"]
    def old_api(j): j["apiVersion"] = "kubeflow.org/v1"
    def zero_slots(j): j["spec"]["slotsPerWorker"] = 0
    def typo(j): j["spec"]["slotPerWorker"] = j["spec"].pop("slotsPerWorker")
    def mpich(j): j["spec"]["mpiImplementation"] = "MPICH"
    def more_workers(j): j["spec"]["mpiReplicaSpecs"]["Worker"]["replicas"] += 1
    def bad_clean(j): j["spec"]["runPolicy"] = {"cleanPodPolicy": "Sometimes"}
    def other_image(j): j["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["image"] = "hdrec:latest"
    def no_containers(j): j["spec"]["mpiReplicaSpecs"]["Launcher"]["template"]["spec"]["containers"] = []
    return [
        (remove_worker, "spec.mpiReplicaSpecs.Worker: missing"),
        (two_launchers, "Launcher.replicas: must be 1"),
        (no_image, "containers[0].image: missing"),
        (no_command, "containers[0].command: must be a non-empty list"),
        (old_api, "apiVersion: must be kubeflow.org/v2beta1"),
        (zero_slots, "spec.slotsPerWorker: must be a positive integer"),
        (typo, "spec.slotPerWorker: unknown field"),
        (mpich, "hdrec loads Open MPI"),
        (more_workers, "Worker replicas x slotsPerWorker"),
        (bad_clean, "cleanPodPolicy: one of"),
        (other_image, "differ"),
        (no_containers, "Launcher.template.spec.containers: must list at least one container"),
    ]


def self_test(path):
    """The manifest passes, and every breakage of it fails with its own message."""
    with open(path) as f:
        job = next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "MPIJob")
    failures = [f"{path}: {e}" for e in check_job(job)]
    for breakage, expected in _breakages():
        broken = copy.deepcopy(job)
        breakage(broken)
        errors = check_job(broken)
        if not any(expected in e for e in errors):
            failures.append(f"self-test {breakage.__name__}: expected an error containing {expected!r}, got {errors}")
    return failures


def main(argv):
    if argv[:1] == ["--self-test"] and len(argv) == 2:
        failures = self_test(argv[1])
        for e in failures:
            print(e, file=sys.stderr)
        print(f"MPIJob checker self-test: {'ok' if not failures else f'{len(failures)} failure(s)'} "
              f"({len(_breakages())} broken manifests)")
        return 1 if failures else 0
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    errors = check_files(argv)
    for e in errors:
        print(e, file=sys.stderr)
    print(f"MPIJob manifests: {'ok' if not errors else f'{len(errors)} problem(s)'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
