import pyarrow as pa
import pytest

from mutuals.errors import InputError
from mutuals.io.schema import SCHEMAS
from mutuals.io.store import open_store, write_store


def test_roundtrip_and_missing_tables(tmp_path):
    follows = pa.table({"platform": ["x", "x"], "follower_id": ["1", "2"], "friend_id": ["2", "1"]})
    store = write_store(tmp_path / "s", {"follows": follows}, metadata={"inputs": []})
    back = open_store(tmp_path / "s").table("follows")
    assert back.schema == SCHEMAS["follows"]
    assert back.column("follower_id").to_pylist() == ["1", "2"]
    assert store.table("posts").num_rows == 0
    con = store.connect()
    assert con.execute("SELECT count(*) FROM follows").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 0


def test_bad_tables_raise(tmp_path):
    with pytest.raises(InputError, match="unknown table"):
        write_store(tmp_path, {"tweets": pa.table({"a": [1]})})
    with pytest.raises(InputError, match="required column"):
        write_store(tmp_path, {"follows": pa.table({"platform": ["x"], "follower_id": ["1"]})})
    with pytest.raises(InputError, match="not in its schema"):
        write_store(tmp_path, {"follows": pa.table({"platform": ["x"], "bogus": [1]})})
    with pytest.raises(InputError, match="not a folder"):
        open_store(tmp_path / "nope")


def test_open_store_refuses_a_plain_folder_and_accepts_an_empty_store(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="not a mutuals store"):
        open_store(tmp_path / "plain")
    write_store(tmp_path / "empty", {})
    assert open_store(tmp_path / "empty").table("posts").num_rows == 0
