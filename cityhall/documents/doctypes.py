"""The administrative document types of Decree 30/2020/NĐ-CP (Art. 7) and their
abbreviations (Appendix III), as the data the register is seeded with.

Công văn has no type abbreviation: its notation names the issuing agency and the drafting
unit (`123/UBND-VX`). Thư công is listed by Art. 7 but given no abbreviation in the
Appendix's table (verify); it is kept without one, as data an administrator may change.
"""

from __future__ import annotations

from typing import NamedTuple


class TypeRow(NamedTuple):
    code: str
    name: str
    abbreviation: str


#: In the order of Decree 30, Art. 7.
DECREE_30_TYPES: tuple[TypeRow, ...] = (
    TypeRow("nghi_quyet", "Nghị quyết", "NQ"),
    TypeRow("quyet_dinh", "Quyết định", "QĐ"),
    TypeRow("chi_thi", "Chỉ thị", "CT"),
    TypeRow("quy_che", "Quy chế", "QC"),
    TypeRow("quy_dinh", "Quy định", "QyĐ"),
    TypeRow("thong_cao", "Thông cáo", "TC"),
    TypeRow("thong_bao", "Thông báo", "TB"),
    TypeRow("huong_dan", "Hướng dẫn", "HD"),
    TypeRow("chuong_trinh", "Chương trình", "CTr"),
    TypeRow("ke_hoach", "Kế hoạch", "KH"),
    TypeRow("phuong_an", "Phương án", "PA"),
    TypeRow("de_an", "Đề án", "ĐA"),
    TypeRow("du_an", "Dự án", "DA"),
    TypeRow("bao_cao", "Báo cáo", "BC"),
    TypeRow("bien_ban", "Biên bản", "BB"),
    TypeRow("to_trinh", "Tờ trình", "TTr"),
    TypeRow("hop_dong", "Hợp đồng", "HĐ"),
    TypeRow("cong_van", "Công văn", ""),
    TypeRow("cong_dien", "Công điện", "CĐ"),
    TypeRow("ban_ghi_nho", "Bản ghi nhớ", "BGN"),
    TypeRow("ban_thoa_thuan", "Bản thỏa thuận", "BTT"),
    TypeRow("giay_uy_quyen", "Giấy ủy quyền", "GUQ"),
    TypeRow("giay_moi", "Giấy mời", "GM"),
    TypeRow("giay_gioi_thieu", "Giấy giới thiệu", "GGT"),
    TypeRow("giay_nghi_phep", "Giấy nghỉ phép", "GNP"),
    TypeRow("phieu_gui", "Phiếu gửi", "PG"),
    TypeRow("phieu_chuyen", "Phiếu chuyển", "PC"),
    TypeRow("phieu_bao", "Phiếu báo", "PB"),
    TypeRow("thu_cong", "Thư công", ""),
)
#: The one type whose notation carries the drafting unit instead of a type abbreviation.
OFFICIAL_LETTER = "cong_van"
