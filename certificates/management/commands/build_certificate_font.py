from django.core.management.base import BaseCommand

from certificates import fonts


class Command(BaseCommand):
    help = (
        "生成入库证明所用的字体子集（GB 2312 常用字），使证明生成更快。"
        "部署时运行一次；缺少子集时证明仍可生成，只是较慢。"
    )

    def handle(self, *args, **options):
        path = fonts.build_subset(fonts.subset_path(), fonts.common_characters())
        size = path.stat().st_size / 1024 / 1024
        self.stdout.write(f"已生成 {path}（{size:.1f} MB）")
