"""The wording of every store error coded ``store.*``, in English and Chinese.

The expected texts are written out by hand (the wording the store had when these errors
carried their own label key and fields, before they were coded like every other error):
a change of mechanism must not change a word.
"""

from pathlib import Path

import pytest

from playbook.pipeline.store_db import ReadOnlyStoreError, StoreError
from playbook.present.messages import message

W = "/srv/idp.sqlite"
PG = "postgresql+psycopg://clerk:***@db/stores"


def _read_only(reason, fix):
    return ReadOnlyStoreError.said("store.read_only", where=W, reason=reason, fix=StoreError.said(fix))


CASES = {
    "newer_schema": (
        StoreError.said("store.newer_schema", where=W, have="3", want="2"),
        f"{W}: the IDP store has schema 3; this kit reads schemas 1 to 2. Upgrade the kit "
        "(pip install -U sales-playbook). The store was left untouched.",
        f"{W}：该 IDP 存储的结构版本为 3；本工具只能读取 1 到 2 版。请升级本工具（pip install -U sales-playbook）。"
        "存储未被改动。"),
    "no_driver": (
        StoreError.said("store.no_driver", where=PG, backend="postgresql", cause="No module named 'psycopg'"),
        f"{PG}: the database driver for postgresql is not installed (No module named 'psycopg'). Install it "
        "with: pip install 'sales-playbook[postgres]'. Nothing was changed.",
        f"{PG}：未安装 postgresql 的数据库驱动（No module named 'psycopg'）。请安装：pip install "
        "'sales-playbook[postgres]'。未做任何更改。"),
    "cannot_connect": (
        StoreError.said("store.cannot_connect", where=PG, cause="Connection refused"),
        f"{PG}: cannot connect to the database server (Connection refused). Check the host, port, database "
        "name, user and password in the store URL (PLAYBOOK_STORE_URL), and that the server is running. "
        "Nothing was changed.",
        f"{PG}：无法连接数据库服务器（Connection refused）。请检查存储地址（PLAYBOOK_STORE_URL）中的主机、端口、"
        "数据库名、用户名和密码，并确认服务器正在运行。未做任何更改。"),
    "no_create": (
        StoreError.said("store.no_create", where=PG, cause="permission denied for schema public"),
        f"{PG}: the database user may not create the IDP store's tables (permission denied for schema public). "
        "Nothing was changed. Ask the database administrator to let this user create tables in the schema "
        "(GRANT CREATE ON SCHEMA public TO the user), or to open the store once as a user who may.",
        f"{PG}：该数据库用户无权创建 IDP 存储的数据表（permission denied for schema public）。未做任何更改。"
        "请数据库管理员授予该用户在该模式中建表的权限（GRANT CREATE ON SCHEMA public TO 该用户），"
        "或由有权限的用户先打开一次存储。"),
    "upgrade_failed": (
        StoreError.said("store.upgrade_failed", where=W, have="1", want="2", cause="database or disk is full"),
        f"{W}: upgrading the IDP store from schema 1 to schema 2 failed (database or disk is full). Nothing "
        "was changed: the store is as it was, and nothing was lost. Restore free space or permissions and open "
        "it again, or use a kit of the store's version.",
        f"{W}：将 IDP 存储从结构版本 1 升级到 2 失败（database or disk is full）。未做任何更改：存储保持原样，"
        "没有丢失任何内容。请恢复磁盘空间或权限后重新打开，或使用与该存储版本相符的工具。"),
    "read_only, no_upgrade, fix upgrade": (
        _read_only(StoreError.said("store.no_upgrade", have="1", want="2", cause="permission denied"),
                   "store.fix.upgrade"),
        f"{W}: the IDP store is read-only (the store has schema 1 and this kit upgrades it to schema 2, but the "
        "database user may not change its tables (permission denied); it was opened as it is, and nothing was "
        "lost): plans can still be read, but no change can be saved. To save, ask the database administrator "
        "to open the store once as a user who may change its tables (the kit then upgrades it), or set another "
        "store path (PLAYBOOK_STORE_URL).",
        f"{W}：IDP 存储为只读（该存储的结构版本为 1，本工具需将其升级到 2，但该数据库用户无权修改数据表"
        "（permission denied）；已按原样打开，没有丢失任何内容）：仍可读取计划，但无法保存任何更改。如需保存，"
        "请由数据库管理员用有权修改数据表的用户打开一次该存储（本工具会随之完成升级），或设置其他存储路径"
        "（PLAYBOOK_STORE_URL）。"),
    "read_only, no_write, fix grant": (
        _read_only(StoreError.said("store.no_write", cause="permission denied for table plans"), "store.fix.grant"),
        f"{W}: the IDP store is read-only (the database user may not write the store's tables (permission "
        "denied for table plans)): plans can still be read, but no change can be saved. To save, ask the "
        "database administrator to let this user write the store's tables, or set another store path "
        "(PLAYBOOK_STORE_URL).",
        f"{W}：IDP 存储为只读（该数据库用户无权写入存储的数据表（permission denied for table plans））："
        "仍可读取计划，但无法保存任何更改。如需保存，请由数据库管理员授予该用户写入存储数据表的权限，"
        "或设置其他存储路径（PLAYBOOK_STORE_URL）。"),
    "read_only, ro.file, fix file": (
        _read_only(StoreError.said("store.ro.file", path=Path(W)), "store.fix.file"),
        f"{W}: the IDP store is read-only (the file {W} is read-only): plans can still be read, but no change "
        "can be saved. To save, make the file and its folder writable for the app, or set another store path "
        "(PLAYBOOK_STORE_URL).",
        f"{W}：IDP 存储为只读（文件 {W} 为只读）：仍可读取计划，但无法保存任何更改。如需保存，"
        "请让本应用可以写入该文件及其所在文件夹，或设置其他存储路径（PLAYBOOK_STORE_URL）。"),
    "read_only, ro.folder, fix file": (
        _read_only(StoreError.said("store.ro.folder", path=Path("/srv")), "store.fix.file"),
        f"{W}: the IDP store is read-only (the folder /srv is read-only): plans can still be read, but no "
        "change can be saved. To save, make the file and its folder writable for the app, or set another store "
        "path (PLAYBOOK_STORE_URL).",
        f"{W}：IDP 存储为只读（文件夹 /srv 为只读）：仍可读取计划，但无法保存任何更改。如需保存，"
        "请让本应用可以写入该文件及其所在文件夹，或设置其他存储路径（PLAYBOOK_STORE_URL）。"),
    "read_only, ro.url, fix ro_url": (
        _read_only(StoreError.said("store.ro.url"), "store.fix.ro_url"),
        f"{W}: the IDP store is read-only (the store URL opens it read-only): plans can still be read, but no "
        "change can be saved. To save, open it without mode=ro, or set another store path (PLAYBOOK_STORE_URL).",
        f"{W}：IDP 存储为只读（存储地址以只读方式打开它）：仍可读取计划，但无法保存任何更改。如需保存，"
        "请去掉地址中的 mode=ro 再打开，或设置其他存储路径（PLAYBOOK_STORE_URL）。"),
    "read_only, ro.refused, fix file": (
        _read_only(StoreError.said("store.ro.refused", cause="attempt to write a readonly database"),
                   "store.fix.file"),
        f"{W}: the IDP store is read-only (the database refused to write (attempt to write a readonly "
        "database)): plans can still be read, but no change can be saved. To save, make the file and its folder "
        "writable for the app, or set another store path (PLAYBOOK_STORE_URL).",
        f"{W}：IDP 存储为只读（数据库拒绝写入（attempt to write a readonly database））：仍可读取计划，"
        "但无法保存任何更改。如需保存，请让本应用可以写入该文件及其所在文件夹，或设置其他存储路径"
        "（PLAYBOOK_STORE_URL）。"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_store_error_reads_as_before_in_english_and_chinese(case):
    err, en, zh = CASES[case]
    assert str(err) == en
    assert message(err, "en") == en
    assert message(err, "zh") == zh


@pytest.mark.parametrize("case", list(CASES))
def test_each_store_error_is_coded_like_every_other_error(case):
    err = CASES[case][0]
    assert err.code.startswith("store.") and isinstance(err.params, dict)
    assert not hasattr(err, "key") and not hasattr(err, "fields")
