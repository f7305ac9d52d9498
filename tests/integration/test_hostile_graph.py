"""Graph readers against issue 7: file-local ids are namespaced per file (unless the
user names a shared id space), detection rejects what only looks like an edge list,
and hostile GraphML/GEXF/Parquet/JSON input is a counted skip or one typed error,
never a traceback, never an expanded entity, never the loss of the rest of the file."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.reading import edges, read_all
from mutuals.errors import DataFormatError, InputError, UnknownFormatError
from mutuals.io.ingest import ingest
from mutuals.io.readers import detect, read
from mutuals.io.readers.graph import MAX_ATTR_CHARS, file_id_space
from mutuals.io.readreport import ReadReport
from mutuals.io.store import open_store

ANWAR = "graph-twitter-follower-egos-anwar2021"
EGOS = "graph-snap-ego-twitter/sample_egos"
GRAPHML_NS = 'xmlns="http://graphml.graphdrawing.org/xmlns"'


def platforms(t: pa.Table) -> set[str]:
    return set(t.column("platform").to_pylist())


def n_accounts(store: Path) -> int:
    return open_store(store).table("accounts").num_rows


# --------------------------------------------------------------------------- id spaces


def test_local_ids_of_separate_files_are_not_merged(shared_data: Path, tmp_path: Path) -> None:
    files = [shared_data / ANWAR / f"{n}.json" for n in ("bofa_careers", "hersheycareers")]
    files.append(shared_data / ANWAR / "verizoncareers.json")
    reps = ingest(files, tmp_path / "s")
    # 13,688 + 3,726 + 9,226 distinct nodes; before, their node numbers were merged
    assert n_accounts(tmp_path / "s") == 13_688 + 3_726 + 9_226
    acc = open_store(tmp_path / "s").table("accounts")
    assert platforms(acc) == {"graph:bofa_careers", "graph:hersheycareers", "graph:verizoncareers"}
    for r in reps:  # the namespace is said in the report
        assert any("read as platform 'graph:" in k for k in r.noted)


def test_id_space_option_says_files_share_ids(shared_data: Path, tmp_path: Path) -> None:
    files = [shared_data / ANWAR / f"{n}.json" for n in ("bofa_careers", "hersheycareers")]
    ingest(files, tmp_path / "s", id_space="anwar")
    acc = open_store(tmp_path / "s").table("accounts")
    assert platforms(acc) == {"graph:anwar"}
    assert acc.num_rows < 13_688 + 3_726  # the shared node numbers merged, as asked


def test_snap_ego_files_merge_only_when_told(shared_data: Path, tmp_path: Path) -> None:
    egos = sorted((shared_data / EGOS).glob("*.edges"))
    ingest(egos, tmp_path / "apart")
    ingest(egos, tmp_path / "shared", id_space="twitter")
    apart, shared = n_accounts(tmp_path / "apart"), n_accounts(tmp_path / "shared")
    assert shared < apart  # the egos have common Twitter accounts
    t, rep = read_all(egos[0])
    assert any("id_space='twitter'" in k for k in rep.noted)  # says how to merge them
    t, rep = read_all(egos[0], platform="x")
    assert platforms(t["follows"]) == {"x"} and not any("id_space=" in k for k in rep.noted)


def test_reingesting_a_file_merges_with_itself(tmp_path: Path) -> None:
    p = tmp_path / "g.txt"
    p.write_text("1 2\n2 3\n")
    ingest([p], tmp_path / "s")
    ingest([p], tmp_path / "s")
    f = open_store(tmp_path / "s").table("follows")
    assert f.num_rows == 2 and platforms(f) == {"graph:g"}


@pytest.mark.parametrize("kind", ["snap", "csv", "parquet", "graphml", "gexf", "json"])
def test_every_graph_format_namespaces_and_takes_id_space(tmp_path: Path, kind: str) -> None:
    p = tmp_path / f"net.{kind}"
    if kind == "snap":
        p.write_text("1 2\n")
    elif kind == "csv":
        p.write_text("source,target\n1,2\n")
    elif kind == "parquet":
        pq.write_table(pa.table({"source": ["1"], "target": ["2"]}), p)
    elif kind == "graphml":
        p.write_text(
            f'<graphml {GRAPHML_NS}><graph edgedefault="directed">'
            '<edge source="1" target="2"/></graph></graphml>'
        )
    elif kind == "gexf":
        p.write_text(
            '<gexf version="1.2"><graph defaultedgetype="directed"><edges>'
            '<edge source="1" target="2"/></edges></graph></gexf>'
        )
    else:
        p.write_text(json.dumps({"labels": {"1": "a"}, "edges": [[1, 2]]}))
    t, _ = read_all(p)
    assert platforms(t["follows"]) == {"graph:net"} and edges(t["follows"]) == [("1", "2")]
    t, _ = read_all(p, id_space="mine")
    assert platforms(t["follows"]) == {"graph:mine"}
    t, _ = read_all(p, platform="bluesky")
    assert platforms(t["follows"]) == {"bluesky"}
    with pytest.raises(InputError, match="id_space"):
        read_all(p, platform="x", id_space="other")


def test_file_id_space_names() -> None:
    assert file_id_space("a/b/vaalit_p1.edgelist") == "vaalit_p1"
    assert file_id_space("twitter_combined.txt.gz") == "twitter_combined"
    assert file_id_space("18988524.edges") == "18988524"
    assert file_id_space("edges") == "edges"
    assert file_id_space(".hidden") == ".hidden"


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize("ext", ["featnames", "circles", "feat", "egofeat"])
def test_snap_companion_files_are_refused_with_a_pointer(shared_data: Path, ext: str) -> None:
    with pytest.raises(UnknownFormatError) as e:
        detect(shared_data / EGOS / f"18988524.{ext}")
    msg = str(e.value)
    assert "18988524.edges" in msg and "tried" in msg and "snap" in msg and "\n" not in msg


def test_text_columns_are_not_an_edge_list(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match=r"snap: .*not integers") as e:
        detect(shared_data / "bluesky-jetstream-corpus/car_expected_records.tsv")
    assert "csv-edges" in str(e.value)
    p = tmp_path / "names.txt"
    p.write_text("alice bob\nbob carol\n")
    with pytest.raises(UnknownFormatError, match="not integers"):
        detect(p)
    p.write_text("0 #FF\n1 #FollowFriday\n")
    with pytest.raises(UnknownFormatError):
        detect(p)
    p.write_text("1 2 0.5\n2 3 1e-3\n# comment\n3 1\n")
    assert detect(p) == "snap"
    p.write_text("1 2 heavy\n")
    with pytest.raises(UnknownFormatError, match="weight"):
        detect(p)
    # a damaged line among many good ones is still an edge list (counted when read)
    p.write_text("".join(f"{i} {i + 1}\n" for i in range(19)) + "x y\n")
    assert detect(p) == "snap"


# --------------------------------------------------------------------------- Parquet


@pytest.mark.parametrize(
    "col",
    [
        pa.array([{"a": 1}, {"a": 2}]),
        pa.array([[1, 2], [3]]),
        pa.array([True, False]),
        pa.array([1.0, 2.5]),
        pa.array([1, 2]).cast(pa.timestamp("s")),
    ],
    ids=["struct", "list", "bool", "float", "timestamp"],
)
def test_parquet_id_column_of_a_wrong_type_is_one_error(tmp_path: Path, col: pa.Array) -> None:
    p = tmp_path / "e.parquet"
    pq.write_table(pa.table({"follower": col, "friend": ["1", "2"]}), p)
    with pytest.raises(DataFormatError, match=r"e\.parquet: column 'follower' holds"):
        read_all(p)


def test_parquet_dictionary_and_binary_ids_are_read(tmp_path: Path) -> None:
    p = tmp_path / "e.parquet"
    f = pa.array(["a", "b"]).dictionary_encode()
    pq.write_table(pa.table({"follower": f, "friend": pa.array([b"c", b"\xff"])}), p)
    t, rep = read_all(p)
    assert edges(t["follows"]) == [("a", "c")]
    assert rep.records == 2 and rep.n_skipped == 1


def test_parquet_damaged_row_group_costs_only_its_rows(tmp_path: Path) -> None:
    p = tmp_path / "e.parquet"
    n = 1000
    t = pa.table({"follower": [str(i) for i in range(n)], "friend": [str(i + 1) for i in range(n)]})
    pq.write_table(t, p, row_group_size=500, compression="none", use_dictionary=False)
    off = pq.ParquetFile(p).metadata.row_group(1).column(0).data_page_offset
    b = bytearray(p.read_bytes())
    for i in range(off, off + 40):
        b[i] ^= 0xFF
    p.write_bytes(bytes(b))
    got, rep = read_all(p)
    assert got["follows"].num_rows == 500
    assert rep.records == n and rep.n_skipped == 500
    assert rep.records - rep.n_skipped == got["follows"].num_rows


# --------------------------------------------------------------------------- XML


_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE g [\n<!ENTITY l0 "lol">\n'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n"
    + f'<graphml {GRAPHML_NS}><graph edgedefault="directed">'
    + '<node id="&l9;"/></graph></graphml>\n'
)


def test_stdlib_expat_limits_billion_laughs_but_expands_small_entities() -> None:
    """What the standard library does on its own: expat >= 2.4 stops the exponential
    blow-up (amplification limit), but still expands entities it deems small, so the
    readers must refuse DTDs themselves (next test)."""
    with pytest.raises(ET.ParseError, match="amplification"):
        ET.fromstring(_LAUGHS)
    small = '<!DOCTYPE g [<!ENTITY e "expanded">]><g a="&e;"/>'
    assert ET.fromstring(small).get("a") == "expanded"


@pytest.mark.parametrize(
    "doc",
    [
        _LAUGHS,
        '<?xml version="1.0"?>\n<!DOCTYPE g [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        f'<graphml {GRAPHML_NS}><graph><node id="&x;"/></graph></graphml>\n',
        f'<!DOCTYPE g [<!ENTITY e "x">]><graphml {GRAPHML_NS}><graph>'
        '<node id="&e;"/></graph></graphml>',
    ],
    ids=["billion-laughs", "external-entity", "small-entity"],
)
def test_xml_with_a_doctype_is_refused_before_any_expansion(tmp_path: Path, doc: str) -> None:
    p = tmp_path / "g.graphml"
    p.write_text(doc)
    assert detect(p) == "graphml"
    with pytest.raises(DataFormatError, match="DOCTYPE"):
        read_all(p)


def test_gexf_nested_100000_deep_is_read_without_recursion(tmp_path: Path) -> None:
    depth = 100_000
    p = tmp_path / "deep.gexf"
    p.write_text(
        '<gexf version="1.2"><graph defaultedgetype="directed"><nodes>'
        + '<node id="n" label="x"><nodes>' * depth
        + "</nodes></node>" * depth
        + '</nodes><edges><edge source="n" target="m"/></edges></graph></gexf>'
    )
    t, rep = read_all(p)
    assert rep.records == depth + 1 and rep.n_skipped == 0
    assert edges(t["follows"]) == [("n", "m")]


def test_graphml_huge_attribute_is_dropped_not_kept(tmp_path: Path) -> None:
    p = tmp_path / "g.graphml"
    p.write_text(
        f'<graphml {GRAPHML_NS}><key id="d0" for="node" attr.name="label" attr.type="string"/>'
        '<key id="d1" for="node" attr.name="community" attr.type="string"/>'
        '<graph edgedefault="directed"><node id="a"><data key="d0">'
        + "x"
        * (MAX_ATTR_CHARS * 40)
        + '</data><data key="d1">blue</data></node>'
        '<node id="b"/><edge source="a" target="b"/></graph></graphml>'
    )
    t, rep = read_all(p)
    (acc,) = t["accounts"].to_pylist()
    assert acc["account_id"] == "a" and acc["handle"] is None and acc["community"] == "blue"
    assert any("longer than" in k for k in rep.noted)
    assert edges(t["follows"]) == [("a", "b")]


def test_graphml_bad_value_costs_its_node_only(tmp_path: Path) -> None:
    p = tmp_path / "g.graphml"
    p.write_text(
        f'<graphml {GRAPHML_NS}>\n<key id="d0" for="node" attr.name="leaning" attr.type="double"/>\n'
        '<graph edgedefault="directed">\n<node id="a"><data key="d0">left</data></node>\n'
        '<node id="b"><data key="d0">0.5</data></node>\n<edge source="a" target="b"/>\n'
        "</graph></graphml>\n"
    )
    rej = tmp_path / "rej.jsonl"
    rep = ReadReport(str(p))
    with rej.open("w") as fh:
        rep.rejects = fh
        parts = list(read(p, report=rep))
    acc = [r for n, c in parts if n == "accounts" for r in c.to_pylist()]
    assert [(r["account_id"], r["leaning"]) for r in acc] == [("b", 0.5)]
    assert sum(c.num_rows for n, c in parts if n == "follows") == 1
    assert rep.skipped == {"node whose 'leaning' is not a number": 1}
    (line,) = rej.read_text().splitlines()
    assert json.loads(line)["where"] == "line 4" and json.loads(line)["source"] == str(p)


def test_xml_cut_in_half_keeps_what_came_before(tmp_path: Path) -> None:
    body = "".join(f'<edge source="{i}" target="{i + 1}"/>\n' for i in range(100))
    p = tmp_path / "g.graphml"
    p.write_text(f'<graphml {GRAPHML_NS}><graph edgedefault="directed">\n' + body[: len(body) // 2])
    t, rep = read_all(p)
    assert t["follows"].num_rows >= 45
    assert rep.n_skipped == 1 and "rest of file not read" in next(iter(rep.skipped))
    assert rep.records - rep.n_skipped == t["follows"].num_rows


def test_xml_not_a_graph_is_one_error(tmp_path: Path) -> None:
    p = tmp_path / "g.graphml"
    p.write_text("<html><!-- <graphml --></html>")
    with pytest.raises(DataFormatError, match="root element"):
        read_all(p)
    p.write_text("<graphml <<<")
    with pytest.raises(DataFormatError, match="not a readable GraphML"):
        read_all(p)


# --------------------------------------------------------------------------- JSON and lines


def test_labelled_json_ids_of_wrong_types_are_skipped_and_counted(tmp_path: Path) -> None:
    p = tmp_path / "g.json"
    doc = {
        "labels": {"1": "m", "2": {"nested": 1}, "3": None},
        "edges": [[1, 2], [{"a": 1}, 2], [True, 3], [1.5, 2], [1], "12", [3, "1"]],
    }
    p.write_text(json.dumps(doc))
    t, rep = read_all(p)
    assert edges(t["follows"]) == [("1", "2"), ("3", "1")]
    assert t["accounts"].num_rows == 2
    assert rep.records == 3 + 7
    assert rep.n_skipped == 1 + 5
    assert rep.records - rep.n_skipped == t["follows"].num_rows + t["accounts"].num_rows


def test_snap_malformed_lines_keep_the_rest_and_name_their_line(tmp_path: Path) -> None:
    p = tmp_path / "g.txt"
    p.write_bytes(b"1 2\n" + b"x" * 5_000_000 + b"\n3\n\xff\xfe 4\n5 6\n")
    rej = tmp_path / "rej.jsonl"
    rep = ReadReport(str(p))
    with rej.open("w") as fh:
        rep.rejects = fh
        parts = list(read(p, format="snap", report=rep))
    follows = sum(c.num_rows for n, c in parts if n == "follows")
    assert follows == 2 and rep.records == 5 and rep.n_skipped == 3
    lines = [json.loads(x) for x in rej.read_text().splitlines()]
    assert [x["where"] for x in lines] == ["line 2", "line 3", "line 4"]
    assert all(len(x["record"] or "") <= 2000 for x in lines)  # not the 5 MB line
