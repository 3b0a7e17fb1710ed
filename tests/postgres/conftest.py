"""A real PostgreSQL for these tests: one throwaway cluster per session (installed from
Debian's packages when missing, see `cluster`), a fresh database per test owned by an
ordinary role (no superuser rights, as a user's own database would be)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from postgres.cluster import Cluster, throwaway_cluster

ROLE = "multicodex_user"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Database:
    cluster: Cluster
    name: str

    @property
    def url(self) -> str:
        return self.cluster.url(ROLE, password="not-the-secret", db=self.name)

    def sql(self, statement: str) -> str:
        return self.cluster.psql(statement, db=self.name)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as cluster:
        cluster.psql(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        yield cluster


@pytest.fixture
def database(postgres_cluster: Cluster) -> Database:
    name = f"multicodex_test_{next(_numbers)}"
    postgres_cluster.psql(f"CREATE DATABASE {name} OWNER {ROLE}")
    return Database(postgres_cluster, name)
