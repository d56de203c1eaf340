"""The open data sources `qizhen data fetch` downloads: origin, pinned commit, licence, checksums.

Every file is the upstream blob at a pinned commit, byte for byte (SHA-256 and size below), read from
the raw-file URL form https://raw.githubusercontent.com/OWNER/REPO/COMMIT/PATH. The ATC pages are the
exception: they are parsed (kg.fetch.atc_pages) and the parse is checked, per level-2 group page,
against digests of the reference table's codes and names instead of the page bytes.
CMeKG is not here: it is the PyPI package PyCMeKG, which pip installs and verifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of a source: where it lies upstream and locally, and what it must be."""

    name: str  # path under the source's folder (and under a mirror's NAME/ folder)
    repo: str
    commit: str
    path: str  # path in the upstream repository
    size: int = 0  # bytes; 0 = verified by parsing (ATC pages)
    sha256: str = ""

    @property
    def url(self) -> str:
        return RAW_URL.format(repo=self.repo, commit=self.commit, path=quote(self.path))


@dataclass(frozen=True, slots=True)
class AtcGroupCheck:
    """What parsing one ATC group page must give: digests of its sorted codes and of its
    code/Chinese/English rows, and its row counts at levels 2–5 (from the reference table)."""

    group: str
    codes: str
    names: str
    counts: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class DataSource:
    name: str  # the ingest source name (`qizhen kg ingest --source NAME`)
    title: str
    origin: str  # repository, for people
    licence: str
    files: tuple[SourceFile, ...]
    research_only: bool = False
    attribution: str = ""
    #: files the ingest reads, relative to the source folder (globs allowed)
    ingest_paths: tuple[str, ...] = ()
    atc_checks: tuple[AtcGroupCheck, ...] = field(default=())

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


_XYWY_FILES = (
    SourceFile("medical_0.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_0.json", 3599753, "42087b9628ab3e0b657542ffcdba838ff7c1b19c19bbcb472ef6e693fb26a4f3"),
    SourceFile("medical_1.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_1.json", 3861837, "8ab14a0d73eededb62dc19f1a3cf87a0e7f35566b02d1093650af41a2beab578"),
    SourceFile("medical_2.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_2.json", 3048038, "338a70331c24587e128bb47974b7b5365d33cdf357ffd92599c47cbc170c80f1"),
    SourceFile("medical_3.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_3.json", 3313776, "5b0c33fbb479e12704d726b72974b163b8096dda53ec7d83b57a1be829d4eea4"),
    SourceFile("medical_4.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_4.json", 3362380, "61accfb91b30592932edf82254cce8d769844d29affa7aa58513fd2fd1cf4716"),
    SourceFile("medical_5.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_5.json", 3342873, "ec655b29a92743be963bbf5066f7644d77825b7eddc9964aec73b5b8030fdcd4"),
    SourceFile("medical_6.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_6.json", 3358082, "edf44a782063102157ab4d41ee94c7b3650d27c6445d377c8a9306a5db676dd0"),
    SourceFile("medical_7.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_7.json", 3594015, "1642fc7ccf2788aa0647caecb816a0728a64757ba02d48f92018368d1e1efa76"),
    SourceFile("medical_8.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_8.json", 3337956, "0fc7d7c7b7fcdb04836c60b2004f2db3733edde7ac7b2fc6c3dbf80eb5bdde26"),
    SourceFile("medical_9.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_9.json", 4096478, "a929e376a14769a4a48aebba2842bf324054a239b5972aef84e83fed4ed3032e"),
    SourceFile("medical_10.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_10.json", 3303637, "75432a587facdcdf44e24c4a2a19c96268ed11bf8edcbac4b94d6ef26f6275a9"),
    SourceFile("medical_11.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_11.json", 3196777, "eddb8b0ebdbc66a504ebed9f488abefc53fb61fee1b45df8dcc8417c41f77a8a"),
    SourceFile("medical_12.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_12.json", 3790031, "39b0ffbc5e264463e1707594fc2fe78bc768438eced67e6187f1ea5704100482"),
    SourceFile("medical_13.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_13.json", 3240273, "c441edc40d1b41f2d2f92e0ec7843e1bd06664895994ac312f07d7165304b2dc"),
    SourceFile("medical_14.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_14.json", 2185185, "354f1323661fe2656eeca571ebd8ee5c77ee9bc241f48dea5d0e761232bd6ebc"),
    SourceFile("medical_15.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_15.json", 2870982, "cf98a6411e8cfc13a9afb1337caaf1d965a6be6e2b719c70b83c72c0c80f13e0"),
    SourceFile("medical_16.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_16.json", 2949562, "f20f78924a9e03aedf4f9747e22810cdb8c8b46bab81b91a087cf7a190c8dc97"),
    SourceFile("medical_17.json", "Tonystark-001/MedicalKGQA", "47e5b2951683fabedb5b898e7c32b832f72d23f7", "data/medical_17.json", 1493773, "501ea6246c44a27eb7d8435c4b68545e048f1c6cdd4e78ec09fc80f4530a2d06"),
)

_ATC_PAGES = (
    SourceFile("pages/ATC代码_(A01).md", "MASangys/wikipedia.zh", "6d5f9618653576aaeb581b9a8ffc15c48b976de0", "Page/ATC代码_(A01).md"),
    SourceFile("pages/ATC代码_(A02).md", "MASangys/wikipedia.zh", "0a9718e395a512b11dd004b39c7a2e2367da8a13", "Page/ATC代码_(A02).md"),
    SourceFile("pages/ATC代码_(A03).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(A03).md"),
    SourceFile("pages/ATC代码_(A05).md", "MASangys/wikipedia.zh", "086e44dc1190ee219fbd6e1b1da158e908c00c63", "Page/ATC代码_(A05).md"),
    SourceFile("pages/ATC代码_(A06).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(A06).md"),
    SourceFile("pages/ATC代码_(A07).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(A07).md"),
    SourceFile("pages/ATC代码_(A10).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(A10).md"),
    SourceFile("pages/ATC代码_(A11).md", "MASangys/wikipedia.zh", "6d5f9618653576aaeb581b9a8ffc15c48b976de0", "Page/ATC代码_(A11).md"),
    SourceFile("pages/ATC代码_(A12).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(A12).md"),
    SourceFile("pages/ATC代码_(A16).md", "MASangys/wikipedia.zh", "2ef3fbb21de3b311d2c6852732173e514db0d480", "Page/ATC代码_(A16).md"),
    SourceFile("pages/ATC代码_(B01).md", "MASangys/wikipedia.zh", "10857a9dd879fe90034828b3082f4a95c2b47dd8", "Page/ATC代码_(B01).md"),
    SourceFile("pages/ATC代码_(B02).md", "MASangys/wikipedia.zh", "92f12280f03a1adaf3071bea66b53eeca59123f9", "Page/ATC代码_(B02).md"),
    SourceFile("pages/ATC代码_(B03).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(B03).md"),
    SourceFile("pages/ATC代码_(B05).md", "MASangys/wikipedia.zh", "3636f33405e674c3c596313dd1abb76cec4e1554", "Page/ATC代码_(B05).md"),
    SourceFile("pages/ATC代码_(C01).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(C01).md"),
    SourceFile("pages/ATC代码_(C02).md", "MASangys/wikipedia.zh", "9c30bd6f9b47d7b22374541cf74cc28f3016b00c", "Page/ATC代码_(C02).md"),
    SourceFile("pages/ATC代码_(C03).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(C03).md"),
    SourceFile("pages/ATC代码_(C04).md", "MASangys/wikipedia.zh", "8a1a43e8eec9b9780608ad4384bfb8c316dd51d6", "Page/ATC代码_(C04).md"),
    SourceFile("pages/ATC代码_(C05).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(C05).md"),
    SourceFile("pages/ATC代码_(C07).md", "MASangys/wikipedia.zh", "223585b0d352d350e45f4eaab1aebbf9e8a50b69", "Page/ATC代码_(C07).md"),
    SourceFile("pages/ATC代码_(C08).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(C08).md"),
    SourceFile("pages/ATC代码_(C09).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(C09).md"),
    SourceFile("pages/ATC代码_(C10).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(C10).md"),
    SourceFile("pages/ATC代码_(D01).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(D01).md"),
    SourceFile("pages/ATC代码_(D04).md", "MASangys/wikipedia.zh", "c19d6e82a18d790ca41478217ef2d3d8e515e719", "Page/ATC代码_(D04).md"),
    SourceFile("pages/ATC代码_(D05).md", "MASangys/wikipedia.zh", "a7d73e2e3eeb47a4dfb1701061e594fb5b1b04de", "Page/ATC代码_(D05).md"),
    SourceFile("pages/ATC代码_(D06).md", "MASangys/wikipedia.zh", "086e44dc1190ee219fbd6e1b1da158e908c00c63", "Page/ATC代码_(D06).md"),
    SourceFile("pages/ATC代码_(D07).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(D07).md"),
    SourceFile("pages/ATC代码_(D08).md", "MASangys/wikipedia.zh", "8a1a43e8eec9b9780608ad4384bfb8c316dd51d6", "Page/ATC代码_(D08).md"),
    SourceFile("pages/ATC代码_(D10).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(D10).md"),
    SourceFile("pages/ATC代码_(D11).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(D11).md"),
    SourceFile("pages/ATC代码_(J01).md", "MASangys/wikipedia.zh", "15873e9fba9cbd325b95b43d11c036c6d054efcc", "Page/ATC代码_(J01).md"),
    SourceFile("pages/ATC代码_(J04).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(J04).md"),
    SourceFile("pages/ATC代码_(J05).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(J05).md"),
    SourceFile("pages/ATC代码_(J06).md", "MASangys/wikipedia.zh", "8a1a43e8eec9b9780608ad4384bfb8c316dd51d6", "Page/ATC代码_(J06).md"),
    SourceFile("pages/ATC代码_(J07).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(J07).md"),
    SourceFile("pages/ATC代码_(L01).md", "MASangys/wikipedia.zh", "35e1735f0ef221b684cbad587a1805cf7f77fa88", "Page/ATC代码_(L01).md"),
    SourceFile("pages/ATC代码_(L02).md", "MASangys/wikipedia.zh", "a7d73e2e3eeb47a4dfb1701061e594fb5b1b04de", "Page/ATC代码_(L02).md"),
    SourceFile("pages/ATC代码_(L03).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(L03).md"),
    SourceFile("pages/ATC代码_(L04).md", "MASangys/wikipedia.zh", "2ef3fbb21de3b311d2c6852732173e514db0d480", "Page/ATC代码_(L04).md"),
    SourceFile("pages/ATC代码_(N01).md", "MASangys/wikipedia.zh", "9c30bd6f9b47d7b22374541cf74cc28f3016b00c", "Page/ATC代码_(N01).md"),
    SourceFile("pages/ATC代码_(N02).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(N02).md"),
    SourceFile("pages/ATC代码_(N03).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(N03).md"),
    SourceFile("pages/ATC代码_(N04).md", "MASangys/wikipedia.zh", "0a9718e395a512b11dd004b39c7a2e2367da8a13", "Page/ATC代码_(N04).md"),
    SourceFile("pages/ATC代码_(N05).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(N05).md"),
    SourceFile("pages/ATC代码_(N06).md", "MASangys/wikipedia.zh", "0a9718e395a512b11dd004b39c7a2e2367da8a13", "Page/ATC代码_(N06).md"),
    SourceFile("pages/ATC代码_(N07).md", "MASangys/wikipedia.zh", "0a9718e395a512b11dd004b39c7a2e2367da8a13", "Page/ATC代码_(N07).md"),
    SourceFile("pages/ATC代码_(S01).md", "MASangys/wikipedia.zh", "10857a9dd879fe90034828b3082f4a95c2b47dd8", "Page/ATC代码_(S01).md"),
    SourceFile("pages/ATC代码_(S02).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(S02).md"),
    SourceFile("pages/ATC代码_(V03).md", "MASangys/wikipedia.zh", "0d2d77a24ce299648990cb6841e66ae0405c48c4", "Page/ATC代码_(V03).md"),
    SourceFile("pages/ATC代码_(V04).md", "MASangys/wikipedia.zh", "086e44dc1190ee219fbd6e1b1da158e908c00c63", "Page/ATC代码_(V04).md"),
    SourceFile("pages/ATC代码_(V06).md", "MASangys/wikipedia.zh", "610d2b6b5513ee35c285e5bebc46aee85597e2cf", "Page/ATC代码_(V06).md"),
    SourceFile("pages/ATC代码_(V07).md", "MASangys/wikipedia.zh", "9c30bd6f9b47d7b22374541cf74cc28f3016b00c", "Page/ATC代码_(V07).md"),
    SourceFile("pages/ATC代码_(V08).md", "MASangys/wikipedia.zh", "8a1a43e8eec9b9780608ad4384bfb8c316dd51d6", "Page/ATC代码_(V08).md"),
    SourceFile("pages/ATC代码_(V09).md", "MASangys/wikipedia.zh", "610d2b6b5513ee35c285e5bebc46aee85597e2cf", "Page/ATC代码_(V09).md"),
    SourceFile("pages/ATC代码_(V10).md", "MASangys/wikipedia.zh", "8a1a43e8eec9b9780608ad4384bfb8c316dd51d6", "Page/ATC代码_(V10).md"),
)

_ATC_CHECKS = (
    AtcGroupCheck("A01", "8be0003f32e6d7be", "8b5d8b3dba410f3e", (1,1,4,38)),
    AtcGroupCheck("A02", "19ac3ecca4c04090", "ef3acafc4c3507a1", (1,3,13,66)),
    AtcGroupCheck("A03", "046b3a91559a7cdc", "7bb563ec7c159dec", (1,6,17,92)),
    AtcGroupCheck("A05", "df246528a3c6c638", "b290568f7cdd4836", (1,3,4,14)),
    AtcGroupCheck("A06", "e361e4bbe030659b", "dd204ecdacfe9925", (1,1,7,60)),
    AtcGroupCheck("A07", "c923b8bc48d60a84", "4f598c6d4e921a8d", (1,7,14,57)),
    AtcGroupCheck("A10", "bd1beb80817de716", "286fd6ee3ddbf793", (1,3,16,80)),
    AtcGroupCheck("A11", "5acec88db317caf7", "08a887369f920d1a", (1,8,19,29)),
    AtcGroupCheck("A12", "5e09d8f96874093c", "31549e81f19f7db7", (1,3,9,42)),
    AtcGroupCheck("A16", "3dbdb303b035334c", "ca6b7fb2dcd2264a", (1,1,3,25)),
    AtcGroupCheck("B01", "718614c40b1994ed", "a3aaf7877e2ed3fc", (1,1,6,67)),
    AtcGroupCheck("B02", "5c571bb165a71ab9", "2342cab85a0fde73", (1,2,7,37)),
    AtcGroupCheck("B03", "6589bc482c5b192e", "7bd8519ad69417a3", (1,3,8,47)),
    AtcGroupCheck("B05", "84eed2ccd0575459", "9f78dbdcdb52f469", (1,6,16,66)),
    AtcGroupCheck("C01", "f847392b8d997d71", "305f094bdf2ca714", (1,5,18,134)),
    AtcGroupCheck("C02", "b6c4eda789c9bdfc", "394e8e7114a48ad9", (1,6,28,71)),
    AtcGroupCheck("C03", "2fe37f3febace81d", "f393383152827fdb", (1,6,20,72)),
    AtcGroupCheck("C04", "2de2340e7928d036", "9b50115baa8e5c28", (1,1,7,35)),
    AtcGroupCheck("C05", "a1c8516fb42991ac", "666069af14c82e97", (1,3,10,48)),
    AtcGroupCheck("C07", "d87bdd5280939008", "6268506e99f13f48", (1,6,15,60)),
    AtcGroupCheck("C08", "b1954d6bb316c4c3", "82934135faae771a", (1,4,7,27)),
    AtcGroupCheck("C09", "fa7a7d644449b6d3", "66bf9e6ead16cdfb", (1,5,8,65)),
    AtcGroupCheck("C10", "d2c265cd26f5ee31", "cc467f80fb367532", (1,2,7,47)),
    AtcGroupCheck("D01", "b27c167bfd46a049", "f4baf9e2b76e4261", (1,2,4,53)),
    AtcGroupCheck("D04", "e953720fc3799a37", "4c3fafaae5d674cb", (1,1,3,21)),
    AtcGroupCheck("D05", "3dc0708868e57f64", "735df3d628d73a69", (1,2,7,16)),
    AtcGroupCheck("D06", "57ca03f0af5546ed", "46aea8684d7545fa", (1,3,5,36)),
    AtcGroupCheck("D07", "1388021c19ed3067", "dcc6948f83d44411", (1,4,16,76)),
    AtcGroupCheck("D08", "641c9e8b4fe4ba12", "800969d488f8c455", (1,1,12,52)),
    AtcGroupCheck("D10", "bf54fa870394183e", "09560ff133a5e50d", (1,2,8,31)),
    AtcGroupCheck("D11", "8246727c951e76e9", "10dfa0f5f60194a7", (1,1,6,29)),
    AtcGroupCheck("J01", "c74328abfa88f246", "47c44f942049b4ab", (1,10,33,239)),
    AtcGroupCheck("J04", "1d420fd86a6a3482", "a4edafb2094d93d8", (1,2,7,27)),
    AtcGroupCheck("J05", "961d44c9fe5b363e", "feb9912dab8d2780", (1,1,10,63)),
    AtcGroupCheck("J06", "62dce6bbd9d46dd7", "9116b4dd119c1475", (1,2,4,27)),
    AtcGroupCheck("J07", "6a41b6e1ac7c07d4", "e3f20eb02ed18a4b", (1,4,28,76)),
    AtcGroupCheck("L01", "48b87c7ff566ec9c", "f9c6932aae419674", (1,5,24,139)),
    AtcGroupCheck("L02", "91db09684f19fd82", "5e4375e3de3b637e", (1,2,8,26)),
    AtcGroupCheck("L03", "5fbfd3a2378b0626", "bf107fe9a9df2aa9", (1,1,4,38)),
    AtcGroupCheck("L04", "c5321a79bd56aed8", "5d931f96e5c2a4fe", (1,1,5,41)),
    AtcGroupCheck("N01", "ba7695599665efd8", "71863f1684d3cd4c", (1,2,10,60)),
    AtcGroupCheck("N02", "a6688d90a6667329", "b528cb30ab2a71e8", (1,3,16,117)),
    AtcGroupCheck("N03", "8ecf8aab66bfdd67", "a4ca5d28fee2c034", (1,1,8,46)),
    AtcGroupCheck("N04", "94e6be918193e029", "2bb04518649dcc71", (1,2,8,35)),
    AtcGroupCheck("N05", "e8859123d1209457", "d95f473227bf67a6", (1,3,26,167)),
    AtcGroupCheck("N06", "26388f2287ad23f8", "5186f27e0f3fa494", (1,4,12,103)),
    AtcGroupCheck("N07", "ac56fbd2fa3ead4b", "7b7d63229ffc1aa5", (1,4,9,35)),
    AtcGroupCheck("S01", "9c8eb1626387e904", "d604246a630b264f", (1,11,27,215)),
    AtcGroupCheck("S02", "4e14d0999529af92", "31a45a38bc1280a4", (1,4,5,34)),
    AtcGroupCheck("V03", "ae7ae035f1b2ee86", "1d7013aeb6a2ffd6", (1,1,11,56)),
    AtcGroupCheck("V04", "4e55f7c0c8d61d98", "0ef1cdbc2c25c051", (1,2,13,31)),
    AtcGroupCheck("V06", "88d81a2e8fcf774c", "30e6c5e1a1069bdc", (1,4,9,2)),
    AtcGroupCheck("V07", "c1f2fd75e2ba0cff", "c23d6b369f6574af", (1,1,12,0)),
    AtcGroupCheck("V08", "372e09e62fe2a109", "d70888fa8587ba59", (1,4,9,58)),
    AtcGroupCheck("V09", "063c4f594fc5e5cd", "5f228dbcabcb98f4", (1,10,24,90)),
    AtcGroupCheck("V10", "888ed89d4972c5a4", "0d9d86144ba6201c", (1,3,5,17)),
)

#: Level-1 names: the origin's overview page gives only short labels, so these are written by hand
#: (standard Chinese names), as in the reference table.
ATC_LEVEL1 = {
    "A": ("消化道及代谢", "Alimentary tract and metabolism"),
    "B": ("血液和造血器官", "Blood and blood forming organs"),
    "C": ("心血管系统", "Cardiovascular system"),
    "D": ("皮肤病用药", "Dermatologicals"),
    "G": ("泌尿生殖系统和性激素", "Genito urinary system and sex hormones"),
    "H": ("除性激素和胰岛素外的全身激素制剂", "Systemic hormonal preparations, excluding sex hormones and insulins"),
    "J": ("全身用抗感染药", "Antiinfectives for systemic use"),
    "L": ("抗肿瘤药和免疫调节剂", "Antineoplastic and immunomodulating agents"),
    "M": ("肌肉-骨骼系统", "Musculo-skeletal system"),
    "N": ("神经系统", "Nervous system"),
    "P": ("抗寄生虫药、杀虫剂和驱虫剂", "Antiparasitic products, insecticides and repellents"),
    "R": ("呼吸系统", "Respiratory system"),
    "S": ("感觉器官", "Sensory organs"),
    "V": ("其他", "Various"),
}

SOURCES: tuple[DataSource, ...] = (
    DataSource("xywy", "寻医问药 diseases (8,792)", "Tonystark-001/MedicalKGQA", "none stated",
               _XYWY_FILES, research_only=True, ingest_paths=("medical_*.json",)),
    DataSource("39health", "39健康网 diseases (14,336)", "zhihao-chen/QASystemOnMedicalGraph",
               "none stated",
               (SourceFile("disease.csv", "zhihao-chen/QASystemOnMedicalGraph", "384370dbc055b6e919efa53218dca4dbc153863e", "data/disease.csv", 3680063, "f20f7886fa7b18f0f0988e84806ee252f3e2eee632cd06272759d0ea90c4cf0a"),), research_only=True,
               ingest_paths=("disease.csv",)),
    DataSource("caregpt", "CareGPT drug handbook (2,441)", "WangRongsheng/CareGPT", "MIT",
               (SourceFile("drug.json", "WangRongsheng/CareGPT", "73700012a8bbfe71456dd1da08b58cb847e7828d", "data/drug.json", 2742045, "02630a9cd14a4d497ad0b36074b333ecde7a6fdcd3fce0a5b1360f12e4f05c72"),), ingest_paths=("drug.json",)),
    DataSource("atc", "ATC drug classes with Chinese names (56 groups)", "MASangys/wikipedia.zh (zh.wikipedia 2019)",
               "CC BY-SA 3.0/4.0", _ATC_PAGES,
               attribution="Wikipedia contributors, zh.wikipedia.org, ATC代码 pages; ATC codes: WHO Collaborating "
                           "Centre for Drug Statistics Methodology",
               ingest_paths=("atc_zh.csv",), atc_checks=_ATC_CHECKS),
)
BY_NAME = {s.name: s for s in SOURCES}
#: the order `qizhen kg ingest --all` uses after CMeKG (diseases, then drugs, then classes over them)
INGEST_ORDER = ("xywy", "39health", "caregpt", "atc")
