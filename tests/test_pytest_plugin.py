"""Another project gets the fixtures just by installing chatgate (pytest11 entry point)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def test_fixtures_are_available_to_an_unrelated_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_backend="""
        import pytest
        from stream_chat.base.exceptions import StreamAPIException


        def test_in_process(fake_stream):
            fake_stream.client.upsert_user({"id": "amr"})
            assert "amr" in fake_stream.state.users


        def test_unsynced_member_fails(fake_stream):
            with pytest.raises(StreamAPIException) as caught:
                fake_stream.client.channel("messaging", "c", {"members": ["ghost"]}).create("ghost")
            assert caught.value.error_code == 4


        def test_standalone(fake_stream_server):
            assert fake_stream_server.base_url.startswith("http://127.0.0.1:")
            fake_stream_server.client().upsert_user({"id": "amr"})
            assert "amr" in fake_stream_server.state.users


        def test_standalone_is_reset_between_tests(fake_stream_server):
            assert fake_stream_server.state.users == {}
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_the_plugin_registers_every_steps_module() -> None:
    """A steps module the plugin missed would leave its steps undefined in an installed
    chatgate, where no conftest.py registers them."""
    from chatgate import pytest_plugin, steps

    on_disk = {
        f"chatgate.steps.{path.stem}"
        for path in Path(steps.__file__).parent.glob("*.py")
        if path.stem != "__init__"
    }
    assert len(on_disk) > 1
    assert on_disk <= set(pytest_plugin.pytest_plugins)
