"""Format detection over every file of the shared real-data folder, against a table
written by hand: each file is detected as its true format or rejected with one
clear line (an UnknownFormatError that lists what was tried), never misread
(a SNAP ``.featnames`` file or a TSV of record keys used to become "follows")."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from mutuals.errors import UnknownFormatError
from mutuals.io.readers import detect

R = "rejected"

#: (glob on the path inside the shared data folder, expected format), first match wins.
#: Licences, READMEs and provenance are text; recorded VCR cassettes (YAML/JSON with
#: the bodies encoded) are not read, their DERIVED decoded/responses.jsonl is.
EXPECTED: list[tuple[str, str]] = [
    ("PROVENANCE.tsv", R),
    ("*README*", R),
    ("*LICENSE*", R),
    # Bluesky
    ("bluesky-atproto-interop-conformance/*", R),  # identifier syntax lists, fixtures
    ("bluesky-jetstream-corpus/repo.car", "bluesky"),
    ("bluesky-jetstream-corpus/*.jsonl", "bluesky"),  # Jetstream events, golden events
    ("bluesky-jetstream-corpus/car_expected_records.tsv", R),  # record key <TAB> CID
    ("bluesky-jetstream-corpus/car_expected_commit.txt", R),
    ("bluesky-jetstream-corpus/*.zst", R),  # zstd frames: not a supported input
    ("bluesky-jetstream-corpus/manifest.json", R),
    ("bluesky-marshalx-sdk-fixtures/*.json", "bluesky-api"),
    # graphs
    ("graph-finnish-election-2019-hashtag-retweet-networks/*.edgelist", "snap"),
    ("graph-finnish-election-2019-hashtag-retweet-networks/network_data/network_info.csv", R),
    ("graph-snap-ego-twitter/readme-Ego.txt", R),
    ("graph-snap-ego-twitter/twitter_combined.txt.gz", "snap"),
    ("graph-snap-ego-twitter/sample_egos/*.edges", "snap"),
    ("graph-snap-ego-twitter/sample_egos/*.circles", R),  # read with its .edges
    ("graph-snap-ego-twitter/sample_egos/*.feat", R),
    ("graph-snap-ego-twitter/sample_egos/*.egofeat", R),
    ("graph-snap-ego-twitter/sample_egos/*.featnames", R),
    ("graph-twitter-follower-egos-anwar2021/*.json", "labelled-edges-json"),
    # Mastodon
    ("mastodon-mastodonpy-entity-cassettes/decoded/responses.jsonl", "mastodon"),
    ("mastodon-mastodonpy-entity-cassettes/*.yaml", R),
    # X API v2
    ("twarc-csv-testdata/empty.json", "empty"),
    ("twarc-csv-testdata/flat.jsonl", "twarc2-flat"),
    ("twarc-csv-testdata/*.jsonl", "twarc2"),
    ("twarc2-blm-twarc2sql/*.jsonl", "twarc2"),
    ("twarc2-docnow-plugins/twarc-text_flat.jsonl", "x-v1"),  # v1.1 tweets, despite the name
    ("twarc2-docnow-plugins/carpentries_one_tweet.jsonl", "twarc2-flat"),  # bare v2 tweets
    ("twarc2-docnow-plugins/twarc-ids_tweets4.jsonl", "twarc2-flat"),
    ("twarc2-docnow-plugins/flatten-tweet_response.json", "twarc2"),
    ("twarc2-docnow-plugins/*.jsonl", "twarc2"),
    ("twitter-v2-v1-tweepy-cassettes/decoded/responses.jsonl", "x-api-responses"),
    ("twitter-v2-v1-tweepy-cassettes/*", R),
    # X archives
    ("twitter-archive-folddb-fixture/manifest.js", R),  # the archive's own manifest
    ("twitter-archive-folddb-fixture/*.js", "x-archive"),
    ("twitter-archive-folddb-fixture/README.txt", R),
    ("twitter-archive-twitter-to-sqlite/*.js", "x-archive"),
    # X API v1.1 and GNIP
    ("twitter-v1-gnip-tweet_parser/activity_streams_examples.json", "gnip"),
    ("twitter-v1-gnip-tweet_parser/*activity_streams_missing_field.json", "gnip"),
    ("twitter-v1-gnip-tweet_parser/*.json", "x-v1"),
    ("twitter-v1-twitter-to-sqlite/tweets.json", "x-v1"),
    # v1.1 responses that hold no tweet, user or follow (trends, help, media upload,
    # friendship, oEmbed, model fragments, an error), and statuses/lookup map=true
    ("twitter-v1-python-twitter/get_help_configuration.json", R),
    ("twitter-v1-python-twitter/get_show_friendship.json", R),
    ("twitter-v1-python-twitter/get_show_subscription_not_subscriber.json", R),
    ("twitter-v1-python-twitter/get_status_oembed.json", R),
    ("twitter-v1-python-twitter/get_statuses.map.*.json", R),
    ("twitter-v1-python-twitter/get_trends_*.json", R),
    ("twitter-v1-python-twitter/get_user_suggestion_categories.json", R),
    ("twitter-v1-python-twitter/models__models_category.json", R),
    ("twitter-v1-python-twitter/models__models_hashtag.json", R),
    ("twitter-v1-python-twitter/models__models_media.json", R),
    ("twitter-v1-python-twitter/models__models_trend.json", R),
    ("twitter-v1-python-twitter/models__models_url.json", R),
    ("twitter-v1-python-twitter/post_media.json", R),
    ("twitter-v1-python-twitter/post_upload_*.json", R),
    ("twitter-v1-python-twitter/public_timeline_error.json", R),
    ("twitter-v1-python-twitter/update_friendship.json", R),
    ("twitter-v1-python-twitter/*.json", "x-v1"),
]


def expected(rel: str) -> str | None:
    for pattern, fmt in EXPECTED:
        if fnmatch.fnmatchcase(rel, pattern):
            return fmt
    return None


def test_every_shared_file_is_detected_or_rejected_in_one_line(shared_data: Path) -> None:
    files = sorted(p for p in shared_data.rglob("*") if p.is_file())
    assert len(files) > 600
    wrong, unlisted = [], []
    for p in files:
        rel = p.relative_to(shared_data).as_posix()
        want = expected(rel)
        if want is None:
            unlisted.append(rel)
            continue
        try:
            got = detect(p)
        except UnknownFormatError as e:
            msg = str(e)
            assert "\n" not in msg and str(p) in msg, msg
            assert "tried" in msg or "zip" in msg or "nothing readable" in msg, msg
            got = R
        if got != want:
            wrong.append(f"{rel}: detected {got}, expected {want}")
    assert not unlisted, f"files with no expected format in the table: {unlisted}"
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("rel", "words"),
    [
        ("graph-snap-ego-twitter/sample_egos/18988524.featnames", ["18988524.edges"]),
        ("graph-snap-ego-twitter/sample_egos/18988524.circles", ["18988524.edges"]),
        ("bluesky-jetstream-corpus/car_expected_records.tsv", ["snap:", "not integers"]),
    ],
)
def test_near_misses_say_why(shared_data: Path, rel: str, words: list[str]) -> None:
    with pytest.raises(UnknownFormatError) as e:
        detect(shared_data / rel)
    for w in words:
        assert w in str(e.value)
