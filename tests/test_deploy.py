"""deploy/: what can be checked here of the Zero to JupyterHub values and the image (no Docker
engine, no Kubernetes on this machine), and the single-user command's own pieces.

The keys z2jh knows are written out below by hand from the chart's values.schema.yaml (chart
4.4.x); a key the chart does not know would make `helm install` refuse the file.
"""

from __future__ import annotations

import ast
import re
import tomllib

import pytest
import yaml

from explorer import hub
from hubserver import ROOT

VALUES = ROOT / "deploy" / "z2jh" / "values.yaml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
CONFIG = ROOT / "deploy" / "jupyterhub_config.py"

# Paths into the chart's values, from its values.schema.yaml (4.4.x), for the sections we set.
Z2JH_KEYS = {
    "hub.concurrentSpawnLimit", "hub.activeServerLimit", "hub.shutdownOnLogout",
    "hub.consecutiveFailureLimit", "hub.namedServerLimitPerUser", "hub.allowNamedServers",
    "singleuser.image.name", "singleuser.image.tag", "singleuser.image.pullPolicy",
    "singleuser.cmd", "singleuser.defaultUrl", "singleuser.storage.type",
    "singleuser.storage.capacity", "singleuser.memory.guarantee", "singleuser.memory.limit",
    "singleuser.cpu.guarantee", "singleuser.cpu.limit", "singleuser.startTimeout",
    "singleuser.extraEnv", "singleuser.uid", "singleuser.fsGid",
    "singleuser.networkPolicy.enabled",
    "singleuser.networkPolicy.egressAllowRules.nonPrivateIPs",
    "singleuser.networkPolicy.egressAllowRules.privateIPs",
    "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer",
    "singleuser.networkPolicy.egressAllowRules.dnsPortsPrivateIPs",
    "scheduling.userScheduler.enabled", "scheduling.podPriority.enabled",
    "scheduling.userPlaceholder.enabled", "scheduling.userPlaceholder.replicas",
    "prePuller.hook.enabled", "prePuller.continuous.enabled",
    "cull.enabled", "cull.timeout", "cull.every", "cull.maxAge", "cull.users", "cull.concurrency",
}
MEMORY = re.compile(r"^(\d+(\.\d+)?)([KMGT])$")


def leaf_paths(node, prefix=""):
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from leaf_paths(value, path)
        else:
            yield path, value


def bytes_of(size: str) -> float:
    number, _, unit = MEMORY.match(size).groups()
    return float(number) * 1000 ** "KMGT".index(unit) * 1000  # Kubernetes: M = 10^6 bytes


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load(VALUES.read_text())


def test_values_keys_are_ones_z2jh_knows(values):
    config = values["hub"].pop("config")
    unknown = [path for path, _ in leaf_paths(values) if path not in Z2JH_KEYS]
    assert unknown == []
    # hub.config passes straight to JupyterHub's traitlets: class names, and traits those have.
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator
    from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

    classes = {c.__name__: c for c in (JupyterHub, Authenticator, SharedPasswordAuthenticator)}
    for section, traits in config.items():
        assert section in classes, f"hub.config.{section} is no class we know"
        configurable = classes[section].class_traits(config=True)
        assert set(traits) <= set(configurable), set(traits) - set(configurable)
    assert config["JupyterHub"]["authenticator_class"] == "shared-password"
    # the class password is never in the file
    assert "SharedPasswordAuthenticator" not in config


def test_values_sizes_and_the_app(values):
    user = values["singleuser"]
    assert user["cmd"] == ["python", "-m", "explorer.hub"]
    assert user["defaultUrl"] == hub.DEFAULT_URL == "/voila/render/classroom.ipynb"
    assert user["storage"]["type"] == "none"
    guarantee, limit = (bytes_of(user["memory"][k]) for k in ("guarantee", "limit"))
    # the guarantee covers the measured ~260 MiB (kernel ~100 MiB + server ~160 MiB) of a student
    assert 260 * 2**20 <= guarantee <= limit
    assert 0 < user["cpu"]["guarantee"] <= user["cpu"]["limit"]
    assert values["cull"]["enabled"] is True and values["cull"]["timeout"] == 1800
    assert values["prePuller"]["hook"]["enabled"] and values["prePuller"]["continuous"]["enabled"]


def test_dockerfile_installs_the_real_extras_and_the_hubs_jupyterhub():
    text = DOCKERFILE.read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert len(installs) == 1
    named = re.findall(r"\[([a-z,]+)\]", installs[0])
    assert named == ["classroom"] and set(named[0].split(",")) <= set(extras)
    assert '"jupyterhub==${JUPYTERHUB_VERSION}"' in installs[0]
    # the single-user jupyterhub matches the hub of the chart the values file names (4.4.x: 5.5.0)
    assert "ARG JUPYTERHUB_VERSION=5.5.0" in text
    assert "--version 4.4.0" in VALUES.read_text()
    # the pod's user is the chart's default uid, and the image's command is the values' cmd
    assert "--uid 1000" in text and "USER 1000" in text
    assert 'CMD ["python", "-m", "explorer.hub"]' in text


def test_local_config_and_z2jh_give_students_the_same_app(values):
    tree = ast.parse(CONFIG.read_text())
    assigned = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute):
            assigned[ast.unparse(node.targets[0])] = ast.unparse(node.value)
    assert assigned["c.Spawner.default_url"] == repr(values["singleuser"]["defaultUrl"])
    assert assigned["c.Spawner.cmd"] == "[sys.executable, '-m', 'explorer.hub']"


def test_install_notebook_copies_the_packaged_notebook_and_keeps_an_equal_one(tmp_path):
    shipped = (ROOT / "notebooks" / "classroom.ipynb").read_bytes()
    target = hub.install_notebook(tmp_path / "student" / "backprop-explorer")
    assert target.read_bytes() == shipped
    stamp = target.stat().st_mtime_ns
    assert hub.install_notebook(tmp_path / "student" / "backprop-explorer").stat().st_mtime_ns == stamp
    target.write_text("a student's edit")
    assert hub.install_notebook(target.parent).read_bytes() == shipped  # an old or edited copy is replaced


def test_singleuser_command_serves_the_folder_with_the_apps_template(tmp_path):
    import json
    import os
    from pathlib import Path

    command, env = hub.singleuser_command(tmp_path, ["--allow-root"], environ={"PATH": "/bin"})
    assert command[1:3] == ["-m", "jupyterhub.singleuser"]
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert command[-1] == "--allow-root"
    template = command[[c.startswith("--VoilaConfiguration.template=") for c in command].index(True)].split("=")[1]
    # the template named is one the environment's JUPYTER_PATH holds
    assert any(
        (Path(p) / "voila" / "templates" / template / "index.html.j2").is_file()
        for p in env["JUPYTER_PATH"].split(os.pathsep)
    )
    config_dir = Path(env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0])
    settings = json.loads((config_dir / "jupyter_server_config.json").read_text())
    assert settings["ServerApp"]["tornado_settings"] == {"mathjax_url": None, "mathjax_config": None}
    assert env["OPENBLAS_NUM_THREADS"] == "1"
