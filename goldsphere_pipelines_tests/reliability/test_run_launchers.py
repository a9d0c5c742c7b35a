"""The Docker and Kubernetes variants of the production dagster.yaml (deploy/): they load
with their integration installed, the launcher is built from them, and everything else is
the production instance, section for section."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster._config import process_config

from goldsphere_pipelines_tests.support.dagster_instance import REPOSITORY, instance_from_yaml

DOCKER_YAML = REPOSITORY / "deploy" / "dagster.docker.yaml"
K8S_YAML = REPOSITORY / "deploy" / "dagster.k8s.yaml"
IMAGE = "registry.example.com/goldsphere-pipelines:1.0"

_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
  - name: nowhere
    cluster: { server: "https://127.0.0.1:1" }
contexts:
  - name: nowhere
    context: { cluster: nowhere, user: nobody }
current-context: nowhere
users:
  - name: nobody
    user: { token: not-a-token }
"""


def _sections(path: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("variant", [DOCKER_YAML, K8S_YAML], ids=["docker", "k8s"])
def test_a_variant_is_the_production_instance_but_for_its_run_launcher(variant: Path) -> None:
    production = _sections(REPOSITORY / "dagster.yaml")
    sections = _sections(variant)
    assert "run_launcher" not in production
    launcher = sections.pop("run_launcher")
    assert isinstance(launcher, dict)
    assert sections == production


def test_the_docker_variant_loads_and_builds_its_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dagster_docker = pytest.importorskip("dagster_docker")
    monkeypatch.setenv("GOLDSPHERE_IMAGE", IMAGE)
    monkeypatch.setenv("GOLDSPHERE_DOCKER_NETWORK", "goldsphere")
    with instance_from_yaml(DOCKER_YAML, tmp_path / "home", monkeypatch) as (instance, _):
        launcher = instance.run_launcher
        assert isinstance(launcher, dagster_docker.DockerRunLauncher)
        assert launcher.image == IMAGE
        assert launcher.networks == ["goldsphere"]
        # Names only: the values stay in the daemon's environment.
        assert set(launcher.env_vars) == {
            "GOLDSPHERE_DATABASE_URL",
            "GOLDSPHERE_CREDENTIALS_KEY",
            "DAGSTER_PG_HOST",
            "DAGSTER_PG_PORT",
            "DAGSTER_PG_USERNAME",
            "DAGSTER_PG_PASSWORD",
            "DAGSTER_PG_DB",
        }
        assert launcher.container_kwargs == {"auto_remove": True}
        assert instance.run_coordinator.get_run_queue_config().max_concurrent_runs == 8


def test_the_k8s_variant_loads_and_builds_its_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dagster_k8s = pytest.importorskip("dagster_k8s")
    monkeypatch.setenv("GOLDSPHERE_IMAGE", IMAGE)
    monkeypatch.setenv("GOLDSPHERE_K8S_NAMESPACE", "goldsphere")
    config = _sections(K8S_YAML)["run_launcher"]
    assert isinstance(config, dict)
    assert (config["module"], config["class"]) == ("dagster_k8s", "K8sRunLauncher")
    # The file's own config, validated against the launcher's schema with the environment
    # resolved, exactly as the instance does before building it.
    processed = process_config(dagster_k8s.K8sRunLauncher.config_type(), config["config"])
    assert processed.success, processed.errors
    assert processed.value is not None
    assert processed.value["job_image"] == IMAGE
    assert processed.value["job_namespace"] == "goldsphere"
    assert processed.value["env_secrets"] == ["goldsphere-secrets"]

    # Outside a cluster the in-cluster credentials do not exist: the same file, pointed at
    # a kubeconfig of an address nobody listens on, loads into an instance (nothing is
    # asked of the cluster until a run is launched).
    variant = tmp_path / "dagster.k8s.yaml"
    sections = _sections(K8S_YAML)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(_KUBECONFIG, encoding="utf-8")
    launcher_config = sections["run_launcher"]["config"]  # type: ignore[index]
    launcher_config["load_incluster_config"] = False
    launcher_config["kubeconfig_file"] = str(kubeconfig)
    variant.write_text(yaml.safe_dump(sections), encoding="utf-8")
    with instance_from_yaml(variant, tmp_path / "home", monkeypatch) as (instance, _):
        launcher = instance.run_launcher
        assert isinstance(launcher, dagster_k8s.K8sRunLauncher)
        assert launcher.job_image == IMAGE
        assert launcher.job_namespace == "goldsphere"
        assert launcher.instance_config_map == "goldsphere-dagster-instance"
        assert launcher.env_secrets == ["goldsphere-secrets"]
        assert launcher.run_k8s_config["job_spec_config"]["ttl_seconds_after_finished"] == 3600
